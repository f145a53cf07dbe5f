"""ASCII sparklines for LATENCY GRAPH, drawn as Redis draws them: each sample is a column,
`rows` text rows stacked give 3 levels each ("_o#" when filled, "|" below the top), and each
column's label is written downwards under the graph."""

LEVELS = "_-`"
FILLED_LEVELS = "_o#"
LABEL_MARGIN = 1  # blank rows between the graph and the labels


def render(samples: list, columns: int = 80, rows: int = 4, fill: bool = True) -> str:
    """samples: [(value, label)], oldest first; wider sequences wrap every `columns`."""
    if not samples:
        return ""
    values = [value for value, _ in samples]
    low, high = min(values), max(values)
    parts = [_render_range(samples[start:start + columns], low, high, rows, fill)
             for start in range(0, len(samples), columns)]
    return "\n".join(parts)


def _render_range(samples: list, low, high, rows: int, fill: bool) -> str:
    spread = (high - low) or 1
    levels = FILLED_LEVELS if fill else LEVELS
    steps = len(levels) * rows
    heights = [min(max(int(int((value - low) * steps) / spread), 0), steps - 1)
               for value, _ in samples]
    lines = []
    for row in range(rows):
        chars = []
        for height in heights:
            index = height - (rows - row - 1) * len(levels)
            if 0 <= index < len(levels):
                chars.append(levels[index])
            elif fill and index >= len(levels):
                chars.append("|")
            else:
                chars.append(" ")
        lines.append("".join(chars))
    labels = [label or "" for _, label in samples]
    if any(labels):
        lines += [" " * len(samples)] * LABEL_MARGIN
        for position in range(max(map(len, labels))):
            lines.append("".join(label[position] if position < len(label) else " "
                                 for label in labels))
    return "".join(line + "\n" for line in lines)
