"""Sphinx configuration of the lesson's website, one build per edition (tools/book.py runs
it with ``-D language=en`` and ``-D language=zh_CN`` over the staged notebooks)."""

project = "cyclegan-lesson"
author = "the cyclegan-lesson authors"
language = "en"  # set per edition by tools/book.py
# sphinx-mathjax-offline copies MathJax 3 beside the pages and points mathjax_path at it,
# so formulas need no CDN
extensions = ["myst_nb", "sphinx-mathjax-offline"]
exclude_patterns = ["_build"]

# The stored outputs are the lesson's: the book shows them and runs nothing.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
# Widgets show their stored text (a finished progress bar, a slider's picture) instead of
# loading ipywidgets' JavaScript from a CDN, which an offline build cannot reach.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
html_theme = "sphinx_book_theme"
html_title = "CycleGAN lesson"
html_theme_options = {
    "repository_url": "https://github.com/cyclegan-lesson/cyclegan-lesson",
    "repository_branch": "main",
    "path_to_docs": "notebooks",  # zh-CN: notebooks/zh-CN, set by tools/book.py
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "use_repository_button": True,
}
html_context = {"default_mode": "light"}
# each edition's pages link to the same page of the other edition, built beside it
OTHER_EDITION = {
    "en": ("zh-CN", "简体中文"),
    "zh_CN": ("en", "English"),
    "zh-CN": ("en", "English"),
}


def add_edition_switch(app, pagename, templatename, context, doctree):
    """A header button, first of the theme's, that opens this page in the other edition."""
    other, label = OTHER_EDITION[app.config.language]
    # a script button: the theme opens its link buttons in a new tab, a switch stays in this one
    button = {
        "type": "javascript",
        "javascript": f"window.location.href='../{other}/{pagename}.html'",
        "tooltip": label,
        "text": label,
        "icon": "fa-solid fa-language",
        "label": "language-switch",  # the button's class: btn-language-switch
    }
    context.setdefault("header_buttons", []).insert(0, button)


def setup(app):
    app.connect("html-page-context", add_edition_switch, priority=501)  # after the theme's
