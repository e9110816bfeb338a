"""The renderers' common base: a block is printed by the method named after its class, as sympy's printers do.

A renderer for a format subclasses :class:`Renderer` and defines ``_render_Heading``,
``_render_Paragraph``, ... ; :meth:`Renderer.block` walks the block's class and its bases (the MRO)
and calls the first such method it finds, so a new block that subclasses an old one is printed like
it until a format learns it. A block no class in its MRO has a method for is an error naming the
format and the blocks it does render.
"""
from gradproof.numeric.errors import GradproofError

PREFIX = "_render_"


class Renderer:
    """One format's printer of a sheet's blocks; ``format`` names it in error messages."""

    format = "?"

    def __init__(self, sheet=None):
        self.sheet = sheet

    @classmethod
    def blocks(cls):
        """The names of the block classes this format renders (without the ones it reaches through a base)."""
        return sorted(name[len(PREFIX):] for name in dir(cls) if name.startswith(PREFIX))

    def block(self, block):
        """The block rendered by ``_render_<Class>`` for the first class in its MRO that has one.

        Examples
        ========
        >>> from gradproof.symbolic.sheet.render import Renderer
        >>> class Shout(Renderer):
        ...     format = "shout"
        ...     def _render_str(self, block):
        ...         return block.upper()
        >>> Shout().block("δ form")
        'Δ FORM'
        >>> Shout().block(3)
        Traceback (most recent call last):
        ...
        gradproof.numeric.errors.GradproofError: the shout format has no rendering for a int block; it renders: str
        """
        for cls in type(block).__mro__:
            method = getattr(self, PREFIX + cls.__name__, None)
            if method is not None:
                return method(block)
        raise GradproofError(f"the {self.format} format has no rendering for a {type(block).__name__} block; "
                             f"it renders: {', '.join(self.blocks())}")
