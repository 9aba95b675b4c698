# The documentation site (tools/docs.sh builds it, warnings fatal): Markdown pages
# (MyST), the C++ reference from the public headers (Doxygen's XML through Breathe)
# and the Python reference from the built module's docstrings (autodoc).
import os
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[1]
project = "ebmkit"
release = re.search(r"project\(ebmkit VERSION ([0-9.]+)", (root / "CMakeLists.txt").read_text()).group(1)
version = release

extensions = ["myst_parser", "breathe", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Doxyfile"]
myst_heading_anchors = 3

breathe_projects = {"ebmkit": os.environ.get("EBMKIT_DOXYGEN_XML", str(root / "build" / "docs" / "xml"))}
breathe_default_project = "ebmkit"
breathe_domain_by_extension = {"hpp": "cpp"}
# The headers' comments are plain text with math in ASCII: keep their line breaks.
cpp_index_common_prefix = ["ebmkit::"]

autodoc_default_options = {"members": True, "undoc-members": True, "imported-members": True}
autodoc_member_order = "bysource"

html_theme = "alabaster"
html_theme_options = {"description": "CUDA kernels and a CPU reference path for energy-based models",
                      "page_width": "1100px", "sidebar_width": "240px"}
html_static_path = []


def _namespace_contents_only():
    """Each header's section renders namespace ebmkit's members declared in that header;
    Breathe would also declare the namespace itself once per header, a duplicate C++
    declaration per section. Render the members without that declaration."""
    from breathe.renderer.sphinxrenderer import SphinxRenderer

    def visit_namespace(self, node):
        file_data = self.compound_parser.parse(node.refid)
        return self.render(file_data, self.context.create_child_context(file_data))

    SphinxRenderer.visit_namespace = visit_namespace

    # A header documents a few declarations with one comment as a Doxygen member group
    # (/// @{ ... /// @}); such a group has no title, so it gets none here either
    # (Breathe would print "Unnamed Group").
    visit_sectiondef = SphinxRenderer.visit_sectiondef

    def visit_untitled_group(self, node):
        if node.kind == "user-defined" and not node.header:
            return self.render_optional(node.description) + self.render_iterable(node.memberdef)
        return visit_sectiondef(self, node)

    SphinxRenderer.methods["sectiondef"] = visit_untitled_group  # Breathe dispatches through this table


_namespace_contents_only()


def _docstring_as_text(app, what, name, obj, options, lines):
    """The package's docstrings are plain text with math in ASCII (|x|^2, a * b), not
    reStructuredText: show them as written."""
    text = list(lines)
    while text and not text[-1].strip():
        text.pop()
    if text:
        lines[:] = ["::", ""] + ["   " + line for line in text] + [""]


def _nanobind_functions_are_functions():
    """autodoc takes a module's functions by their type; nanobind's (nb_func) are none of
    the types it knows, so the module's members would skip them. Document them as
    functions (their signature is their docstring's first line)."""
    from sphinx.ext.autodoc import FunctionDocumenter

    can_document = FunctionDocumenter.can_document_member.__func__

    def can_document_member(cls, member, membername, isattr, parent):
        return type(member).__name__ == "nb_func" or can_document(cls, member, membername, isattr, parent)

    FunctionDocumenter.can_document_member = classmethod(can_document_member)


def setup(app):
    _nanobind_functions_are_functions()
    app.connect("autodoc-process-docstring", _docstring_as_text)
