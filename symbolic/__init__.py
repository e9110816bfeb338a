"""gradproof's sympy side: the symbolic network, the chain rule, sheets, the grader and the CLI."""
