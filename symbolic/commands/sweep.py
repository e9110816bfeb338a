"""(not written yet)"""
HELP = "(not written yet)"


def add_arguments(parser):
    pass


def run(args):
    raise NotImplementedError("gradproof sweep")
