"""Images, Text, Audio, HParams and PR curves tabs in a real JupyterLab + Chromium.

A logdir of its own (hostile run and tag names, hostile markdown) and a JupyterLab of its own, so
the shared session notebook (conftest.py) stays as it is. Everything drawn is checked against the
loader's frames; the hostile strings would set ``window.__pwned`` if anything ran them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import SCREENSHOTS
from lab import JupyterLab, cell_output, open_notebook, run_all, write_notebook

pytestmark = pytest.mark.browser

EVIL_RUN = '<img src=x onerror="window.__pwned=1">'
EVIL_TAG = "<script>window.__pwned=1</script>"
EVIL_MD = (
    "# Notes\n\n"
    '<img src=x onerror="window.__pwned=1">\n\n'
    "<script>window.__pwned=1</script>\n\n"
    "[x](javascript:window.__pwned=1)\n\n"
    "| metric | value |\n|---|---|\n| loss | 0.25 |\n| acc | 0.9 |\n\n"
    "```\nprint('code')\n```\n"
)
STEPS = (0, 5, 10)
MULTI = 3  # images per step in the "multi" tag


def _images_tensor(w, tag: str, pngs: list[bytes], width: int, height: int, step: int) -> None:
    """A TF2-style image summary: one tensor [width, height, png, png, ...] (several images per step)."""
    from nbtb.proto import summary_pb2
    from nbtb.tensors import from_numpy

    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"))
    value = from_numpy(np.array([str(width).encode(), str(height).encode(), *pngs], dtype=object))
    w._summary(summary_pb2.Summary.Value(tag=tag, tensor=value, metadata=meta), step, None)


def _pr(w, tag: str, step: int) -> None:
    from nbtb.proto import summary_pb2
    from nbtb.tensors import from_numpy

    tp = np.array([8.0, 6, 3, 1]); fp = np.array([8.0, 3, 1, 0]); tn = 8 - fp; fn = 8 - tp
    arr = np.stack([tp, fp, tn, fn, tp / np.maximum(tp + fp, 1), tp / 8]).astype(np.float32)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="pr_curves"))
    w._summary(summary_pb2.Summary.Value(tag=tag, tensor=from_numpy(arr), metadata=meta), step, None)


@pytest.fixture(scope="module")
def media_logdir(tmp_path_factory) -> Path:
    import nbtb
    from nbtb.writer import encode_png

    root = tmp_path_factory.mktemp("media-lab") / "logs"
    rng = np.random.default_rng(1)
    for run, (h, w_) in (("alpha", (16, 24)), (EVIL_RUN, (30, 10))):
        with nbtb.SummaryWriter(str(root / run)) as w:
            for step in STEPS:
                w.add_scalar("loss", 1.0 / (step + 1), step)
                w.add_image("samples", rng.random((3, h, w_)), step)
                w.add_image(EVIL_TAG, rng.random((3, 6, 6)), step)
                w.add_text("notes", EVIL_MD if run == "alpha" else f"step **{step}** {EVIL_RUN}", step)
                w.add_audio("sound", np.sin(np.arange(800) * (step + 1) / 10.0), step, sample_rate=8000)
                if run == "alpha":
                    pngs = [encode_png((rng.random((h, w_, 3)) * 255).astype(np.uint8)) for _ in range(MULTI)]
                    _images_tensor(w, "multi", pngs, w_, h, step)
                    _pr(w, "pr/curve", step)
    for i, (lr, opt, acc) in enumerate(((0.1, "adam", 0.75), (0.01, "sgd", 0.5), (0.001, "adam", 0.875))):
        with nbtb.SummaryWriter(str(root / "sweep")) as w:
            w.add_hparams({"lr": lr, "opt": opt}, {"hp/acc": acc}, run_name=f"trial{i}")
    return root


@pytest.fixture(scope="module")
def source(media_logdir):
    import nbtb

    return nbtb.load(str(media_logdir))


@pytest.fixture(scope="module")
def mpage(media_logdir, page):
    """A page of its own in the session's Chromium (Playwright's sync API cannot be started twice
    in one process while the session browser is open), on a JupyterLab of its own."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root = media_logdir.parent
    write_notebook(root / "media.ipynb", [f"import nbtb\nnbtb.show({str(media_logdir)!r}, reload_interval=0)",
                                          f"nbtb.ImageGrid({str(media_logdir)!r}, selected_runs=['alpha'])"])
    with JupyterLab(root, log=SCREENSHOTS.parent / "jupyterlab-media-tests.log") as lab:
        ctx = page.context.browser.new_context(viewport={"width": 1400, "height": 1100})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        messages: list[str] = []
        pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
        pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
        open_notebook(pg, lab, "media.ipynb")
        errors = run_all(pg)
        if errors:
            pytest.fail("the notebook raised:\n" + "\n".join(errors), pytrace=False)
        pg.console_messages = messages
        try:
            yield pg
        finally:
            ctx.close()


def root_of(pg):
    out = cell_output(pg, 0)
    root = out.locator('[data-testid="dashboard"]').first
    root.wait_for(state="attached")
    root.scroll_into_view_if_needed()
    return root


def open_tab(pg, kind: str):
    root = root_of(pg)
    root.locator(f'[data-testid="tab-{kind}"]').click()
    return root


def not_pwned(pg) -> None:
    assert pg.evaluate("() => window.__pwned") is None
    assert pg.evaluate("() => document.querySelectorAll('[onerror], [onload], script:not([src])').length") >= 0
    # nothing from the logdir became an element with a handler, inside the dashboard
    assert root_of(pg).locator("[onerror], [onclick], [onload]").count() == 0


def wait_images(card) -> None:
    card.locator("img").first.wait_for(state="attached")
    card.page.wait_for_function(
        "(el) => { const imgs = [...el.querySelectorAll('img')]; return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        arg=card.element_handle())


def test_images_grid_equals_the_frame(mpage, source):
    root = open_tab(mpage, "images")
    frame = source.images
    pairs = {(str(r), str(t)) for r, t in zip(frame.run, frame.tag)}
    cards = root.locator('[data-testid="image-card"]')
    cards.first.wait_for()
    assert cards.count() == len(pairs)
    seen = set()
    for i in range(cards.count()):
        card = cards.nth(i)
        card.scroll_into_view_if_needed()
        run, tag = card.get_attribute("data-run"), card.get_attribute("data-tag")
        seen.add((run, tag))
        wait_images(card)
        sub = frame[(frame.run == run) & (frame.tag == tag)]
        last = sub[sub.step == sub.step.max()].sort_values("index")
        assert card.locator('[data-testid="step-label"]').inner_text() == f"step {int(sub.step.max())}"
        sizes = card.locator("img").evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")
        assert sizes == [[int(w), int(h)] for w, h in zip(last.width, last.height)], (run, tag)
        srcs = card.locator("img").evaluate_all("imgs => imgs.map(i => i.src)")
        assert all(s.startswith("blob:") for s in srcs)
    assert seen == pairs
    multi = root.locator('[data-testid="image-card"][data-tag="multi"]')
    assert multi.locator("img").count() == MULTI
    mpage.screenshot(path=str(SCREENSHOTS / "images_tab.png"))
    not_pwned(mpage)


def test_image_slider_arrows_enlarge_actual_size(mpage, source):
    root = open_tab(mpage, "images")
    card = root.locator('[data-testid="image-card"][data-tag="samples"][data-run="alpha"]')
    card.scroll_into_view_if_needed()
    wait_images(card)
    card.focus()
    mpage.keyboard.press("ArrowLeft")
    mpage.wait_for_function("(el) => el.dataset.step === '5' && el.dataset.loading === '0'", arg=card.element_handle())
    assert card.locator('[data-testid="step-label"]').inner_text() == "step 5"
    mpage.keyboard.press("Home")
    mpage.wait_for_function("(el) => el.dataset.step === '0' && el.dataset.loading === '0'", arg=card.element_handle())
    wait_images(card)
    before = card.locator("img").first.bounding_box()
    card.locator('[data-testid="actual-size"]').click()
    after = card.locator("img").first.bounding_box()
    assert round(after["width"]) == 24 and round(after["height"]) == 16
    assert before["width"] > after["width"]  # fitted to the card before
    card.locator("img").first.click()
    box = root.locator('[data-testid="lightbox"]')
    box.wait_for(state="visible")
    mpage.screenshot(path=str(SCREENSHOTS / "images_enlarged.png"))
    box.click()
    box.wait_for(state="hidden")
    root.locator('[data-testid="brightness"]').fill("1.5")
    filt = card.locator("img").first.evaluate("i => getComputedStyle(i).filter")
    assert "brightness(1.5)" in filt


def test_text_is_sanitized_markdown(mpage, source):
    root = open_tab(mpage, "text")
    cards = root.locator('[data-testid="text-card"]')
    cards.first.wait_for()
    alpha = root.locator('[data-testid="text-card"][data-run="alpha"]')
    alpha.scroll_into_view_if_needed()
    md = alpha.locator('[data-testid="markdown"]')
    md.wait_for()
    assert md.locator("h1").inner_text() == "Notes"
    assert md.locator("td").all_inner_texts() == ["loss", "0.25", "acc", "0.9"]
    assert "print('code')" in md.locator("pre code").inner_text()
    assert md.locator("img, script, iframe").count() == 0
    link = md.locator("a", has_text="x")
    assert link.get_attribute("href") is None
    link.click()
    evil = root.locator('[data-testid="text-card"]:not([data-run="alpha"])')
    evil.scroll_into_view_if_needed()
    evil.locator('[data-testid="markdown"]').wait_for()
    assert EVIL_RUN in evil.locator(".nbtb-card-title").inner_text()  # the name, shown as text
    mpage.wait_for_timeout(300)
    mpage.screenshot(path=str(SCREENSHOTS / "text_tab.png"))
    not_pwned(mpage)


def test_hparams_table_equals_the_frame_and_selects_runs(mpage, source):
    root = open_tab(mpage, "hparams")
    table = root.locator('[data-testid="hparams-table"]')
    table.locator("tbody tr").first.wait_for()
    frame = source.hparams.set_index("run")
    rows = table.locator("tbody tr")
    assert sorted(rows.nth(i).get_attribute("data-run") for i in range(rows.count())) == sorted(frame.index)
    for i in range(rows.count()):
        run = rows.nth(i).get_attribute("data-run")
        for col in frame.columns:
            text = rows.nth(i).locator(f'td[data-column="{col}"]').inner_text()
            want = frame.loc[run, col]
            if isinstance(want, str):
                assert text == want
            else:
                assert float(text) == float(want), (run, col)
    paths = root.locator('[data-testid="hparams-parallel"] path')
    assert sorted(paths.nth(i).get_attribute("data-run") for i in range(paths.count())) == sorted(frame.index)
    mpage.screenshot(path=str(SCREENSHOTS / "hparams_tab.png"))
    # sort by lr ascending
    table.locator('th[data-column="lr"]').click()
    order = [rows.nth(i).get_attribute("data-run") for i in range(rows.count())]
    assert order == list(frame.sort_values("lr").index)
    # filter
    root.locator('[data-testid="hparams-filter"]').fill("sgd")
    assert rows.count() == 1
    run = rows.first.get_attribute("data-run")
    rows.first.locator("input").uncheck()
    panel = root.locator(f'[data-testid="run-row"][data-run="{run}"] input')
    mpage.wait_for_function("(b) => !b.checked", arg=panel.element_handle())
    rows.first.locator("input").check()
    mpage.wait_for_function("(b) => b.checked", arg=panel.element_handle())
    root.locator('[data-testid="hparams-filter"]').fill("")


def test_audio_players(mpage, source):
    root = open_tab(mpage, "audio")
    frame = source.audio
    cards = root.locator('[data-testid="audio-card"]')
    cards.first.wait_for()
    assert cards.count() == len({(str(r), str(t)) for r, t in zip(frame.run, frame.tag)})
    card = root.locator('[data-testid="audio-card"][data-run="alpha"]')
    card.scroll_into_view_if_needed()
    audio = card.locator("audio")
    audio.wait_for(state="attached")
    assert audio.get_attribute("src").startswith("blob:")
    mpage.wait_for_function("(a) => a.readyState >= 1", arg=audio.element_handle())
    assert abs(audio.evaluate("a => a.duration") - 800 / 8000) < 1e-3
    mpage.screenshot(path=str(SCREENSHOTS / "audio_tab.png"))
    not_pwned(mpage)


def test_pr_curves(mpage, source):
    root = open_tab(mpage, "pr_curves")
    card = root.locator('[data-testid="pr-card"]').first
    card.wait_for()
    canvas = card.locator("canvas")
    canvas.wait_for()
    assert canvas.get_attribute("data-points") == "4"
    mpage.screenshot(path=str(SCREENSHOTS / "pr_curves_tab.png"))


def test_image_grid_panel_alone(mpage, source):
    out = cell_output(mpage, 1)
    root = out.locator('[data-testid="dashboard"]').first
    root.wait_for(state="attached")
    root.scroll_into_view_if_needed()
    cards = root.locator('[data-testid="image-card"]')
    cards.first.wait_for()
    frame = source.images
    assert cards.count() == frame[frame.run == "alpha"]["tag"].nunique()
    assert not root.locator(".nbtb-side").is_visible()
    assert not root.locator(".nbtb-tabs").is_visible()
    assert root.locator(".nbtb-main").bounding_box()["width"] > 0.9 * root.bounding_box()["width"]
    card = root.locator('[data-testid="image-card"][data-tag="samples"]')
    card.scroll_into_view_if_needed()
    wait_images(card)
    mpage.screenshot(path=str(SCREENSHOTS / "image_grid_panel.png"))
