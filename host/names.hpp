// The names of the public enums (to_string, and the checkpoints' and the ebm command's
// parsing), one table per enum that both directions read.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace ebmkit::detail {

template <class E>
using NameTable = std::pair<E, const char*>;

template <class E, std::size_t N>
const char* name_in(const NameTable<E> (&table)[N], E value) {
    for (const auto& [e, name] : table) {
        if (e == value) return name;
    }
    return "?";
}

// The value named name; false when the table has no such name.
template <class E, std::size_t N>
bool value_in(const NameTable<E> (&table)[N], const std::string& name, E& value) {
    for (const auto& [e, n] : table) {
        if (name == n) {
            value = e;
            return true;
        }
    }
    return false;
}

}  // namespace ebmkit::detail
