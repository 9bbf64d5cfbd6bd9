"""Score charts (Altair, Chinese axes): radar, grouped bars, heat map, ranking, monthly trend.

Vega-Lite has no polar line mark, so the five-axis radar is drawn from x/y computed with cos/sin:
grid pentagons, spokes, one filled polygon per series, axis labels.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from components.guard import at_click
from services import clock

PNG_FONT = "Noto Sans CJK SC"  # the Chinese font of exported pictures (fonts-noto-cjk)
PNG_WIDTH = 760  # charts drawn "as wide as the page" get this width in a picture

AXIS_ORDER = ["F1", "F2", "F3", "F4", "F5"]


def _angle(i: int, n: int) -> float:
    """Angle of axis i of n, the first axis pointing up, going clockwise."""
    return math.pi / 2 - 2 * math.pi * i / n


def radar(series: dict[str, dict[str, float]], labels: dict[str, str], max_value: float = 20.0,
          size: int = 360) -> alt.LayerChart:
    """A five-axis radar: ``series`` maps a name (本人 / 代表组平均 / 全区平均) to {axis: value}."""
    axes = [a for a in AXIS_ORDER if a in labels]
    n = len(axes)
    grid, spokes, poly, text = [], [], [], []
    for level in (0.25, 0.5, 0.75, 1.0):
        for k in range(n + 1):
            a = _angle(k % n, n)
            grid.append({"x": level * math.cos(a), "y": level * math.sin(a), "级": level, "序": k})
    for i, ax in enumerate(axes):
        a = _angle(i, n)
        spokes += [{"x": 0.0, "y": 0.0, "轴": ax, "序": 0}, {"x": math.cos(a), "y": math.sin(a), "轴": ax, "序": 1}]
        text.append({"x": 1.2 * math.cos(a), "y": 1.12 * math.sin(a), "标签": f"{ax} {labels[ax]}"})
    for name, values in series.items():
        for k in range(n + 1):
            ax = axes[k % n]
            v = float(values.get(ax, 0.0) or 0.0)
            r = max(0.0, min(v / max_value, 1.0)) if max_value else 0.0
            a = _angle(k % n, n)
            poly.append({"x": r * math.cos(a), "y": r * math.sin(a), "对象": name, "方面": f"{ax} {labels[ax]}",
                         "得分": round(v, 2), "序": k})
    scale = alt.Scale(domain=[-1.35, 1.35], nice=False)
    x = alt.X("x:Q", scale=scale, axis=None, title=None)
    y = alt.Y("y:Q", scale=scale, axis=None, title=None)
    g = alt.Chart(pd.DataFrame(grid)).mark_line(color="#cccccc", strokeWidth=1).encode(
        x=x, y=y, detail="级:N", order="序:Q")
    s = alt.Chart(pd.DataFrame(spokes)).mark_line(color="#cccccc", strokeWidth=1).encode(
        x=x, y=y, detail="轴:N", order="序:Q")
    color = alt.Color("对象:N", title="对象", sort=list(series))
    p = alt.Chart(pd.DataFrame(poly))
    fill = p.mark_line(filled=True, opacity=0.18).encode(x=x, y=y, color=color, order="序:Q")
    line = p.mark_line(strokeWidth=2, point=True).encode(
        x=x, y=y, color=color, order="序:Q", tooltip=["对象:N", "方面:N", alt.Tooltip("得分:Q", title="得分")])
    t = alt.Chart(pd.DataFrame(text)).mark_text(fontSize=12).encode(x=x, y=y, text="标签:N")
    return alt.layer(g, s, fill, line, t).properties(width=size, height=size)


def person_labels(rows: list[dict], key: str = "deputy_id", name: str = "代表", group: str = "代表组") -> dict:
    """{id: label}: a person's name, with the group where two people share a name, and the id as
    well where they share the group too, so a chart keyed by the label never merges two people."""
    people: dict[object, tuple[str, str]] = {}
    for r in rows:
        people.setdefault(r[key], (str(r.get(name, "")), str(r.get(group, ""))))
    names = pd.Series([n for n, _ in people.values()]).value_counts()
    pairs = pd.Series([f"{n}|{g}" for n, g in people.values()]).value_counts()
    out = {}
    for i, (n, g) in people.items():
        if names.get(n, 0) < 2:
            out[i] = n
        elif pairs.get(f"{n}|{g}", 0) < 2:
            out[i] = f"{n}（{g}）"
        else:
            out[i] = f"{n}（{g}·{i}号）"
    return out


def month_label(month: str) -> str:
    """"2026-03" → "3月" (the axis of a chart within one year)."""
    try:
        return f"{int(str(month)[5:7])}月"
    except ValueError:
        return str(month)


def focus_bars(rows: list[dict], labels: dict[str, str]) -> alt.Chart:
    """Grouped bars of deputies by focus: rows [{代表, 代表组, 方面, 得分, deputy_id}], one group of
    bars per deputy (keyed by id, labelled by name); click a bar to pick."""
    pick = alt.selection_point(name="pick", fields=["deputy_id"], on="click")
    df = pd.DataFrame(rows)
    df["方面名称"] = df["方面"].map(lambda f: f"{f} {labels.get(f, '')}")
    names = person_labels(rows)
    df["代表"] = df["deputy_id"].map(names)
    order = list(dict.fromkeys(df["代表"]))
    return (
        alt.Chart(df).mark_bar().encode(
            x=alt.X("代表:N", title="代表", sort=order, axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
            xOffset=alt.XOffset("方面名称:N", sort=[f"{f} {labels[f]}" for f in AXIS_ORDER if f in labels]),
            y=alt.Y("得分:Q", title="得分"),
            color=alt.Color("方面名称:N", title="方面"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
            tooltip=["代表:N", "方面名称:N", "得分:Q"],
        ).add_params(pick).properties(height=320)
    )


def heatmap(rows: list[dict], labels: dict[str, str]) -> alt.LayerChart:
    """Groups × focuses, colour = the group's average score; click a cell to pick (group_id, 方面)."""
    cell = alt.selection_point(name="cell", fields=["group_id", "方面"], on="click")
    df = pd.DataFrame(rows)
    df["方面名称"] = df["方面"].map(lambda f: f"{f} {labels.get(f, '')}")
    base = alt.Chart(df).encode(
        x=alt.X("方面名称:N", title="方面", sort=[f"{f} {labels[f]}" for f in AXIS_ORDER if f in labels],
                axis=alt.Axis(labelAngle=-15, labelOverlap=False, labelLimit=220)),
        y=alt.Y("代表组:N", title="代表组", axis=alt.Axis(labelLimit=220, labelOverlap=False)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("平均分:Q", title="平均分", scale=alt.Scale(scheme="blues")),
        stroke=alt.condition(cell, alt.value("#d62728"), alt.value(None), empty=False),
        strokeWidth=alt.value(3),
        tooltip=["代表组:N", "方面名称:N", "平均分:Q"],
    ).add_params(cell)
    txt = base.mark_text(fontSize=11).encode(text=alt.Text("平均分:Q", format=".1f"))
    return alt.layer(rect, txt).properties(height=alt.Step(28))


TIED = "并列待定"  # a deputy tied at the cut, for the leader to decide (ranking chart colour)


def ranking(rows: list[dict], cut: float | None, cut_label: str = "入选线") -> alt.LayerChart:
    """Total score per deputy, best first, candidates coloured, a rule at the selection line;
    click a bar to pick a deputy (selection ``pick`` on field deputy_id)."""
    pick = alt.selection_point(name="pick", fields=["deputy_id"], on="click")
    df = pd.DataFrame(rows)
    df["代表"] = df["deputy_id"].map(person_labels(rows))
    order = list(df["代表"])
    bars = alt.Chart(df).mark_bar().encode(
        y=alt.Y("代表:N", title="代表", sort=order, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("总分:Q", title="总分"),
        color=alt.Color("是否候选:N", title="优秀代表候选",
                        scale=alt.Scale(domain=["是", TIED, "否"], range=["#2e7d32", "#f9a825", "#9e9e9e"])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
        tooltip=["全区排名:Q", "代表:N", "代表组:N", "总分:Q", "等级:N"],
    ).add_params(pick)
    layers = [bars]
    if cut is not None:
        rule = alt.Chart(pd.DataFrame([{"总分": cut, "说明": f"{cut_label} {cut:g} 分"}])).mark_rule(
            color="#d62728", strokeDash=[6, 3], strokeWidth=2).encode(x="总分:Q", tooltip=["说明:N"])
        label = alt.Chart(pd.DataFrame([{"总分": cut, "说明": f"{cut_label} {cut:g} 分"}])).mark_text(
            align="left", dx=4, dy=-6, color="#d62728").encode(x="总分:Q", y=alt.value(0), text="说明:N")
        layers += [rule, label]
    return alt.layer(*layers).properties(height=max(200, 24 * len(df)))


def trend(rows: list[dict]) -> alt.Chart:
    """Monthly trend: rows [{月份 "2026-03", 项目, 数量}] as lines with points, months as 1月…12月."""
    df = pd.DataFrame(rows)
    order = [month_label(m) for m in sorted(set(df["月份"]))]
    df["月份"] = df["月份"].map(month_label)
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("月份:N", title="月份", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("数量:Q", title="数量"),
        # the legend under the chart, one item a line: at 390 px a legend on the right took half the width
        color=alt.Color("项目:N", title=None, legend=alt.Legend(orient="bottom", direction="vertical",
                                                               columns=1, labelLimit=240)),
        tooltip=["月份:N", "项目:N", "数量:Q"],
    ).properties(height=240, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))  # the legend adds
    # to the height instead of squeezing the lines into what is left of it


def picked(event: object, name: str) -> list[dict]:
    """The points a user clicked in a chart drawn with on_select="rerun" (empty when none)."""
    try:
        sel = event.selection  # type: ignore[attr-defined]
        value = sel.get(name) if isinstance(sel, dict) else getattr(sel, name, None)
    except AttributeError:
        return []
    return list(value or [])


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as a PNG for reports (vl-convert, no browser): Chinese labels in ``PNG_FONT``;
    a chart that takes the page's width gets ``PNG_WIDTH``."""
    import vl_convert as vlc

    spec = chart.to_dict()
    if "width" not in spec and not any(k in spec for k in ("hconcat", "vconcat", "concat", "facet")):
        spec["width"] = PNG_WIDTH
    cfg = spec.setdefault("config", {})
    cfg["font"] = PNG_FONT
    spec.setdefault("background", "white")
    return vlc.vegalite_to_png(spec, scale=scale)


def show(chart: alt.TopLevelMixin, key: str, name: str, **kwargs):  # noqa: ANN201 - st's chart state
    """Draw a chart and a 下载图片 button under it (PNG made only when clicked); returns what
    st.altair_chart returns (the selection when ``on_select`` is given)."""
    event = st.altair_chart(chart, key=key, **kwargs)
    st.download_button("下载图片", data=at_click(lambda: to_png(chart)), file_name=f"{name}_{clock.today():%Y-%m-%d}.png",
                       mime="image/png", key=f"{key}__png", on_click="ignore", icon=":material/image:")
    return event
