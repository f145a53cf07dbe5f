"""Simulation results as a Markdown table, JSON, and a miss-ratio-curve PNG."""

import json

BASELINES = ("LRU", "ARC", "S3FIFO", "Sieve", "WTinyLFU")  # the "best simple policy"
LEARNED = "allkeys-learned"


def table(results: list, metric: str = "miss_ratio") -> str:
    if not results:
        return ""
    names = list(results[0]["policies"])
    lines = ["| trace | size | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for cell in results:
        values = cell["policies"]
        best = min(values[n][metric] for n in names if n != "Belady")
        row = []
        for name in names:
            text = f"{values[name][metric]:.4f}"
            row.append(f"**{text}**" if values[name][metric] == best and name != "Belady"
                       else text)
        lines.append(f"| {cell['trace']} | {cell['size']} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def scoreboard(results: list, metric: str = "miss_ratio") -> dict:
    """How allkeys-learned fares: cells within 0.002 of the best baseline, mean ratio to
    Predis's (Redis's) allkeys-lru, gap to Belady."""
    wins, ratios, gaps, cells = 0, [], [], 0
    for cell in results:
        values = cell["policies"]
        if LEARNED not in values:
            continue
        learned = values[LEARNED][metric]
        baselines = [values[n][metric] for n in BASELINES if n in values]
        if baselines:
            cells += 1
            wins += learned <= min(baselines) + 0.002
        if "allkeys-lru" in values and values["allkeys-lru"][metric] > 0:
            ratios.append(learned / values["allkeys-lru"][metric])
        if "Belady" in values:
            gaps.append(learned - values["Belady"][metric])
    return {"cells": cells, "at_or_below_best_baseline": wins,
            "mean_ratio_to_allkeys_lru": round(sum(ratios) / len(ratios), 4) if ratios else None,
            "mean_gap_to_belady": round(sum(gaps) / len(gaps), 4) if gaps else None}


def write_json(results: list, path: str, meta: dict) -> None:
    with open(path, "w") as handle:
        json.dump({"meta": meta, "results": results, "scoreboard": scoreboard(results)}, handle,
                  indent=1)


def plot(results: list, path: str, metric: str = "miss_ratio") -> None:
    """One panel per trace: miss ratio against cache size for every policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = sorted({cell["trace"] for cell in results})
    columns = min(4, len(traces))
    rows = (len(traces) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows),
                                squeeze=False)
    colors = plt.get_cmap("tab20").colors  # one colour per policy (there are up to 15)
    for index, trace in enumerate(traces):
        ax = axes[index // columns][index % columns]
        cells = sorted((c for c in results if c["trace"] == trace), key=lambda c: c["capacity"])
        for number, name in enumerate(cells[0]["policies"]):
            ax.plot([c["capacity"] for c in cells], [c["policies"][name][metric] for c in cells],
                    color="black" if name == "Belady" else colors[number % len(colors)],
                    marker="o", linewidth=2.2 if name == LEARNED else 1.0,
                    linestyle=":" if name == "Belady" else "-", label=name)
        ax.set_xscale("log")
        ax.set_title(trace, fontsize=9)
        ax.set_xlabel(f"cache size ({cells[0]['unit']})", fontsize=8)
        ax.set_ylabel(metric.replace("_", " "), fontsize=8)
        ax.tick_params(labelsize=7)
    for index in range(len(traces), rows * columns):
        axes[index // columns][index % columns].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(7, len(labels)), fontsize=8)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
