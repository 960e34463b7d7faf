"""One module per codemod; the registry discovers them by NAME."""
