"""The two kinds of error Redis's C libraries for scripts (bit, cjson, struct) raise, as the
Python side of those libraries raises them; the engine turns each into the Lua error the C
function would have raised, at the calling script's position (engine.LibraryError)."""


class ArgumentError(ValueError):
    """luaL_argerror: argument `index` (1-based, as the C function counts it) is wrong;
    the script sees "bad argument #index to 'name' (text)"."""

    def __init__(self, index: int, text: str):
        super().__init__(text)
        self.index = index


class RaisedError(ValueError):
    """luaL_error: the text as the library formats it."""
