// An enum's value from its name (ebmkit/names.hpp), or Python's ValueError listing the names.
#pragma once

#include <optional>
#include <string>

#include <nanobind/nanobind.h>

#include "ebmkit/names.hpp"

namespace ebmkit::python {

template <class E>
E parse(const std::string& name, const char* what) {
    if (const std::optional<E> value = value_named<E>(name)) return *value;
    std::string names;
    for (const std::string& n : names_of<E>()) names += (names.empty() ? "" : ", ") + n;
    throw nanobind::value_error((std::string(what) + ": '" + name + "' is none of " + names).c_str());
}

}  // namespace ebmkit::python
