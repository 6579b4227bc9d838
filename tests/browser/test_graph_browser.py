"""Graphs tab in a real JupyterLab + Chromium: a torch ``add_graph`` of a model with five identical
blocks is drawn collapsed by scope, a scope expands on click, search reveals and highlights a node
deep inside, the detail panel shows its op and inputs as the loader's frames say, identical blocks
share a template, runs and graph kinds switch. Screenshots go to artifacts/screenshots/.

Its own logdir (written at test time by torch), JupyterLab, Chromium and notebook (module scope).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SCREENSHOTS, notebook_tab
from lab import KERNEL_IDLE, JupyterLab, cell_output, execute_command, run_all, write_notebook

DATA = REPO / "tests" / "data"
KERAS_RUN = "keras/train"
TORCH_RUN = "torch_net"
BOTH_RUN = "both"  # torch's op graph and the Keras conceptual graph in one run
TF_RUN = "tf2"  # a GraphDef and a RunMetadata trace ("tiny_block_trace"): two op graphs
CELLS = [
    "import nbtb\nnbtb.GraphView({logdir!r}, run={run!r})",
    "nbtb.show({logdir!r}, tab='graphs', reload_interval=0)",
]
GRAPH_VIEW, DASHBOARD = 0, 1

# A model with repeated structure: five identical residual blocks in a Sequential.
TORCH_SCRIPT = """
import sys, torch, torch.nn as nn
from torch.utils.tensorboard import SummaryWriter
class Block(nn.Module):
    def __init__(s, c):
        super().__init__(); s.conv = nn.Conv2d(c, c, 3, padding=1); s.bn = nn.BatchNorm2d(c); s.relu = nn.ReLU()
    def forward(s, x): return s.relu(s.bn(s.conv(x)) + x)
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.stem = nn.Conv2d(3, 8, 3, padding=1)
        s.blocks = nn.Sequential(*[Block(8) for _ in range(5)]); s.head = nn.Linear(8, 10)
    def forward(s, x): return s.head(s.blocks(s.stem(x)).mean((2, 3)))
torch.manual_seed(0)
with SummaryWriter(sys.argv[1]) as w:
    w.add_graph(Net().eval(), torch.zeros(1, 3, 16, 16))
"""


@pytest.fixture(scope="module")
def graph_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("graphs") / "logs"
    # torch's own writer in a subprocess (torch is a test-only dependency, kept out of the kernel)
    subprocess.run([sys.executable, "-c", TORCH_SCRIPT, str(root / TORCH_RUN)], check=True)
    shutil.copytree(DATA / "keras_sweep" / "lr_0.01" / "train", root / KERAS_RUN)  # a Keras conceptual graph
    shutil.copytree(root / TORCH_RUN, root / BOTH_RUN)
    for f in (root / KERAS_RUN).glob("events.out.tfevents.*"):
        shutil.copy(f, root / BOTH_RUN / f.name)
    shutil.copytree(DATA / "tf2_summaries" / "custom", root / TF_RUN)
    return root


@pytest.fixture(scope="module")
def torch_graph(graph_logdir: Path):
    import nbtb

    return nbtb.load(str(graph_logdir)).graph(TORCH_RUN, kind="op")


@pytest.fixture(scope="module")
def gpage(graph_logdir: Path, page):
    """A page of the suite's browser (one Playwright per process) on a JupyterLab of its own."""
    if not (REPO / "nbtb" / "static" / "dashboard.js").is_file():
        pytest.fail("front end not built: run npm ci && npm run build", pytrace=False)
    if not shutil.which("/usr/bin/chromium"):
        pytest.fail("/usr/bin/chromium missing: apt-get install chromium", pytrace=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root = graph_logdir.parent
    write_notebook(root / "graphs.ipynb", [c.format(logdir=str(graph_logdir), run=TORCH_RUN) for c in CELLS])
    with JupyterLab(root, log=SCREENSHOTS.parent / "jupyterlab-graph-tests.log") as lab, \
            notebook_tab(page, "graphs.ipynb", lab) as pg:
        yield pg


def graph_tab(page, cell: int):
    out = cell_output(page, cell)
    out.scroll_into_view_if_needed()
    tab = out.locator('[data-testid="graph-tab"][data-state="ready"]').first
    tab.wait_for(state="attached")
    return tab


def renders(tab) -> int:
    return int(tab.get_attribute("data-renders") or 0)


def wait_render(page, tab, before: int) -> None:
    """Waits for the next drawing; an error shown by the tab fails with its text."""
    page.wait_for_function("([el, n]) => (Number(el.dataset.renders || 0) > n && el.dataset.state === 'ready')"
                           " || el.dataset.state === 'error'", arg=[tab.element_handle(), before])
    assert tab.get_attribute("data-state") == "ready", tab.locator('[data-testid="graph-status"]').inner_text()


def test_graph_view_draws_the_collapsed_top_level(gpage, torch_graph):
    tab = graph_tab(gpage, GRAPH_VIEW)
    assert tab.get_attribute("data-nodes") == str(len(torch_graph.nodes))
    # GraphView is the tab alone: no tab bar, no runs panel
    assert gpage.evaluate("(el) => el.closest('.nbtb').classList.contains('nbtb-panel-only')", tab.element_handle())
    drawn = tab.locator('[data-testid="graph-node"]')
    ids = drawn.evaluate_all("els => els.map(e => e.dataset.id)")
    # collapsed: far fewer boxes than nodes, and the top scopes are there
    assert 3 <= len(ids) < len(torch_graph.nodes) / 2, ids
    assert {"input", "output", "Net"} <= set(ids)
    # the layout ran in the Web Worker, not on the main thread
    assert tab.get_attribute("data-layout-where") == "worker", gpage.console_messages[-10:]
    gpage.screenshot(path=str(SCREENSHOTS / "graph-collapsed.png"))


def test_click_expands_and_collapses_a_scope(gpage):
    tab = graph_tab(gpage, GRAPH_VIEW)
    closed = tab.locator('[data-testid="graph-node"][data-kind="meta"]:not([data-expanded])').first
    scope = closed.get_attribute("data-id")
    inside = f'[data-testid="graph-node"][data-id^="{scope}/"]'
    assert tab.locator(inside).count() == 0
    before = renders(tab)
    closed.click()
    wait_render(gpage, tab, before)
    box = tab.locator(f'[data-testid="graph-node"][data-id="{scope}"]')
    assert box.get_attribute("data-expanded") == "1"
    assert tab.locator(inside).count() > 0
    gpage.screenshot(path=str(SCREENSHOTS / "graph-expanded.png"))
    before = renders(tab)
    box.locator(".nbtb-ghead").click()  # the title bar of an open box closes it
    wait_render(gpage, tab, before)
    assert tab.locator(inside).count() == 0
    assert tab.locator(f'[data-testid="graph-node"][data-id="{scope}"]').get_attribute("data-expanded") is None


def test_search_reveals_a_deep_node_and_details_show_op_and_inputs(gpage, torch_graph):
    tab = graph_tab(gpage, GRAPH_VIEW)
    nodes, edges = torch_graph.nodes, torch_graph.edges
    target = nodes[(nodes["op"] == "aten::batch_norm") & nodes["name"].str.contains(r"Block\[3\]", regex=True)]
    assert len(target) == 1, nodes["name"].tolist()
    name = target["name"].iloc[0]
    assert tab.locator(f'[data-testid="graph-node"][data-id="{name}"]').count() == 0  # hidden at first
    before = renders(tab)
    tab.locator('[data-testid="graph-search"]').fill("Block[3]/BatchNorm2d")
    results = tab.locator('[data-testid="graph-result"]')
    assert name in results.all_inner_texts()
    results.filter(has_text=name).first.click()
    wait_render(gpage, tab, before)
    node = tab.locator(f'[data-testid="graph-node"][data-id="{name}"]')
    assert "nbtb-ghit" in node.get_attribute("class")
    assert "nbtb-gsel" in node.get_attribute("class")
    # revealed: on screen inside the drawing's visible area
    stage = tab.locator('[data-testid="graph-svg"]').bounding_box()
    nb = node.bounding_box()
    assert stage["x"] <= nb["x"] + nb["width"] / 2 <= stage["x"] + stage["width"]
    assert stage["y"] <= nb["y"] + nb["height"] / 2 <= stage["y"] + stage["height"]
    details = tab.locator('[data-testid="graph-details"]')
    assert details.locator('[data-testid="graph-details-name"]').inner_text() == name
    assert details.locator('[data-testid="graph-details-op"]').inner_text() == "aten::batch_norm"
    shown_inputs = details.locator('[data-testid="graph-details-inputs"] .nbtb-gd-link').all_inner_texts()
    assert shown_inputs == edges.loc[edges["dst"] == name, "src"].tolist()
    shown_outputs = details.locator('[data-testid="graph-details-outputs"] .nbtb-gd-link').all_inner_texts()
    assert shown_outputs == edges.loc[edges["src"] == name, "dst"].tolist()
    gpage.screenshot(path=str(SCREENSHOTS / "graph-search-details.png"))


def test_search_by_keyboard(gpage, torch_graph):
    tab = graph_tab(gpage, GRAPH_VIEW)
    nodes = torch_graph.nodes
    name = nodes.loc[(nodes["op"] == "aten::_convolution") & nodes["name"].str.contains(r"Block\[1\]"), "name"].iloc[0]
    search = tab.locator('[data-testid="graph-search"]')
    search.fill("")
    search.type(name, delay=0)
    before = renders(tab)
    search.press("ArrowDown")  # into the result list, on the best match: the exact name
    gpage.keyboard.press("Enter")
    wait_render(gpage, tab, before)
    assert tab.locator('[data-testid="graph-results"]').is_hidden()
    assert "nbtb-ghit" in tab.locator(f'[data-testid="graph-node"][data-id="{name}"]').get_attribute("class")
    assert tab.locator('[data-testid="graph-details-name"]').inner_text() == name


def test_pan_zoom_and_fit(gpage):
    tab = graph_tab(gpage, GRAPH_VIEW)
    svg = tab.locator('[data-testid="graph-svg"]')
    box = svg.bounding_box()
    x, y = box["x"] + 8, box["y"] + 8  # a corner: background, not a node
    gpage.mouse.move(box["x"] - 50, y)  # come in from outside: not engaged yet
    gpage.mouse.move(x, y)
    zoom = float(svg.get_attribute("data-zoom"))
    gpage.mouse.wheel(0, -300)  # the notebook scrolls, the graph does not zoom
    gpage.wait_for_timeout(100)
    assert float(svg.get_attribute("data-zoom")) == zoom
    box = svg.bounding_box()
    x, y = box["x"] + 8, box["y"] + 8
    gpage.mouse.move(x, y)
    transform = lambda: tab.locator(".nbtb-graph-viewport").get_attribute("transform")  # noqa: E731
    before = transform()
    gpage.mouse.down()  # drag the background: pans
    gpage.mouse.move(x + 60, y + 40, steps=4)
    gpage.mouse.up()
    panned = transform()
    assert panned != before and float(svg.get_attribute("data-zoom")) == zoom
    gpage.mouse.wheel(0, -400)  # pressed once: now the wheel zooms in
    gpage.wait_for_function("([el, z]) => Number(el.dataset.zoom) > z", arg=[svg.element_handle(), zoom])
    tab.locator('[data-testid="graph-fit"]').click()
    fitted = float(svg.get_attribute("data-zoom"))
    assert 0.05 <= fitted <= 1  # the whole drawing in view, never above 1:1


def test_identical_blocks_share_a_template(gpage):
    tab = graph_tab(gpage, GRAPH_VIEW)
    # after the search above, Block[3]'s series is open: its five blocks are drawn, one template
    blocks = tab.locator('[data-testid="graph-node"][data-id*="Sequential[blocks]/Block["]')
    ids = [i for i in blocks.evaluate_all("els => els.map(e => e.dataset.id)")
           if i.count("/") == 2 and not i.endswith("[[0-4]]")]
    assert sorted(ids) == [f"Net/Sequential[blocks]/Block[{k}]" for k in range(5)]
    series = tab.locator('[data-testid="graph-node"][data-kind="series"]').evaluate_all(
        "els => els.map(e => e.dataset.id)")
    assert "Net/Sequential[blocks]/Block[[0-4]]" in series
    # each block carries "×5" (the open one in its title bar) and all five share one colour
    badges = blocks.evaluate_all("""els => Object.fromEntries(els.map(e => [e.dataset.id,
        [(e.querySelector('[data-testid="graph-template"]') || e.querySelector('.nbtb-ghead-label') || {}).textContent,
         (e.querySelector('.nbtb-gshape, .nbtb-gbox-rect') || {getAttribute: () => ''}).getAttribute('style')]]))""")
    assert all(badges[i][0].endswith("×5") for i in ids), badges
    colours = {badges[i][1].split("stroke:")[-1] for i in ids}
    assert len(colours) == 1 and colours != {""}, badges


def test_colour_by_op_type_and_device_with_a_legend(gpage, torch_graph):
    tab = graph_tab(gpage, GRAPH_VIEW)
    color = tab.locator('[data-testid="graph-color"]')
    legend = tab.locator('[data-testid="graph-legend-item"]')
    for mode in ("op", "device", "structure"):
        before = renders(tab)
        color.select_option(mode)
        wait_render(gpage, tab, before)
        if mode == "device":  # torch's GraphDef places ops on no device: nothing to colour
            assert set(torch_graph.nodes["device"]) == {""} and legend.count() == 0
    assert "alike" in " ".join(legend.all_inner_texts())  # structure: the repeated blocks
    before = renders(tab)
    color.select_option("op")
    wait_render(gpage, tab, before)
    ops = tab.locator('[data-testid="graph-node"][data-kind="op"] .nbtb-gshape').evaluate_all(
        "els => els.map(e => e.getAttribute('style'))")
    assert ops and all(s and "fill:" in s for s in ops)  # every op drawn in its op's colour
    named = legend.all_inner_texts()
    assert named and set(named) <= set(torch_graph.nodes["op"]), named


def test_dashboard_tab_switches_runs_and_graph_kinds(gpage, graph_logdir, torch_graph):
    import nbtb

    lg = nbtb.load(str(graph_logdir))
    keras = lg.graph(KERAS_RUN, kind="keras")
    both_keras = lg.graph(BOTH_RUN, kind="keras")
    out = cell_output(gpage, DASHBOARD)
    out.scroll_into_view_if_needed()
    assert out.locator('[data-testid="tab-graphs"]').get_attribute("aria-selected") == "true"
    assert out.locator('[data-testid="tag-filter"]').is_hidden()  # graphs have no tags to filter
    tab = graph_tab(gpage, DASHBOARD)
    run_sel = tab.locator('[data-testid="graph-run"]')
    kind_sel = tab.locator('[data-testid="graph-kind"]')
    runs = run_sel.locator("option").evaluate_all("els => els.map(e => e.value)")
    assert runs == sorted([BOTH_RUN, KERAS_RUN, TF_RUN, TORCH_RUN])
    drawn_ops = lambda: set(tab.locator('[data-testid="graph-node"][data-kind="op"]').evaluate_all(  # noqa: E731
        "els => els.map(e => e.dataset.id)"))
    # the first run opens, on its op graph; it has the Keras graph too, so the choice is offered
    assert run_sel.input_value() == BOTH_RUN
    assert kind_sel.is_visible()
    assert kind_sel.locator("option").evaluate_all("els => els.map(e => e.value)") == ["op", "keras"]
    assert kind_sel.input_value() == "op"
    assert tab.get_attribute("data-nodes") == str(len(torch_graph.nodes))
    out.screenshot(path=str(SCREENSHOTS / "graph-dashboard-op.png"))
    before = renders(tab)
    kind_sel.select_option("keras")
    wait_render(gpage, tab, before)
    assert tab.get_attribute("data-nodes") == str(len(both_keras.nodes))
    assert drawn_ops() and drawn_ops() <= set(both_keras.nodes["name"])
    out.screenshot(path=str(SCREENSHOTS / "graph-dashboard-keras.png"))
    # a Keras-only run: no choice of graph
    before = renders(tab)
    run_sel.select_option(KERAS_RUN)
    wait_render(gpage, tab, before)
    assert kind_sel.is_hidden() and kind_sel.input_value() == "keras"
    assert tab.locator('[data-testid="graph-tag"]').is_hidden()
    assert tab.get_attribute("data-nodes") == str(len(keras.nodes))
    # back to torch's op graph
    before = renders(tab)
    run_sel.select_option(TORCH_RUN)
    wait_render(gpage, tab, before)
    assert kind_sel.input_value() == "op"
    assert tab.get_attribute("data-nodes") == str(len(torch_graph.nodes))
    ids = tab.locator('[data-testid="graph-node"]').evaluate_all("els => els.map(e => e.dataset.id)")
    assert "Net" in ids and not set(ids) & set(keras.nodes["name"])
    # several op graphs in a run (a GraphDef and a RunMetadata trace): TB's tag choice
    tag_sel = tab.locator('[data-testid="graph-tag"]')
    before = renders(tab)
    run_sel.select_option(TF_RUN)
    wait_render(gpage, tab, before)
    assert tag_sel.is_visible()
    assert tag_sel.locator("option").evaluate_all("els => els.map(e => e.value)") == ["", "tiny_block_trace"]
    assert tab.get_attribute("data-nodes") == str(len(lg.graph(TF_RUN, kind="op", tag="").nodes))
    before = renders(tab)
    tag_sel.select_option("tiny_block_trace")
    wait_render(gpage, tab, before)
    trace = lg.graph(TF_RUN, kind="op", tag="tiny_block_trace")
    assert tab.get_attribute("data-nodes") == str(len(trace.nodes))
    ops = drawn_ops()
    assert ops and ops <= set(trace.nodes["name"]), ops
    out.screenshot(path=str(SCREENSHOTS / "graph-dashboard-trace.png"))


def _luminance(css: str) -> float:
    r, g, b = (int(v) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme_labels_stay_readable(gpage):
    execute_command(gpage, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    try:
        tab = graph_tab(gpage, GRAPH_VIEW)
        gpage.wait_for_function("(el) => el.closest('[data-theme]').dataset.theme === 'dark'",
                                arg=tab.element_handle(), timeout=20_000)
        gpage.wait_for_timeout(800)  # the theme's stylesheet
        label = tab.locator('[data-testid="graph-node"] .nbtb-glabel').first
        fill = label.evaluate("e => getComputedStyle(e).fill")
        stage = tab.locator(".nbtb-gstage").evaluate("e => getComputedStyle(e.closest('.nbtb')).backgroundColor")
        assert _luminance(fill) > 0.6 and _luminance(stage) < 0.3, (fill, stage)
        cell_output(gpage, GRAPH_VIEW).screenshot(path=str(SCREENSHOTS / "graph-dark.png"))
    finally:
        execute_command(gpage, "apputils:change-theme", {"theme": "JupyterLab Light"})


# A host whose Content-Security-Policy forbids workers (VS Code webviews, Colab: NOTEBOOK-HOSTS.md)
# lets `new Worker` succeed and reports the refusal as an error event: simulate exactly that.
REFUSING_WORKER = """
window.Worker = class {
  constructor() { setTimeout(() => this.onerror && this.onerror({message: 'refused by the page CSP (test)'}), 0); }
  postMessage() {}
  terminate() {}
};
"""


@pytest.mark.parametrize("refusal", ["error event", "constructor throws"])
def test_layout_falls_back_to_the_main_thread_when_workers_are_refused(gpage, torch_graph, refusal):
    pg = gpage.context.new_page()
    pg.set_default_timeout(60_000)
    pg.add_init_script(REFUSING_WORKER if refusal == "error event"
                       else "window.Worker = function () { throw new Error('SecurityError (test)'); };")
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(m.text))
    try:
        pg.goto(gpage.url)
        pg.wait_for_function(KERNEL_IDLE, timeout=90_000)
        errors = run_all(pg)
        assert not errors, errors
        tab = graph_tab(pg, GRAPH_VIEW)
        assert tab.get_attribute("data-layout-where") == "main"
        assert tab.get_attribute("data-nodes") == str(len(torch_graph.nodes))
        assert {"input", "output", "Net"} <= set(
            tab.locator('[data-testid="graph-node"]').evaluate_all("els => els.map(e => e.dataset.id)"))
        assert any("graph layout runs on the main thread" in m for m in messages), messages
        # and it stays usable: a scope still opens
        closed = tab.locator('[data-testid="graph-node"][data-kind="meta"]:not([data-expanded])').first
        scope = closed.get_attribute("data-id")
        before = renders(tab)
        closed.click()
        wait_render(pg, tab, before)
        assert tab.locator(f'[data-testid="graph-node"][data-id^="{scope}/"]').count() > 0
    finally:
        pg.close()
