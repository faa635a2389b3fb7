"""The backward pass step by step as one self-contained HTML page.

Everything is inline: the SVG frames (render/frames.py), the CSS and a few
lines of JavaScript; no network, no external scripts, fonts or images, so a
teacher can open the file from a USB stick in any browser, offline.

The page: one step at a time, the picture on the left and the step's text
on the right (the upstream gradient, the local derivatives, the products,
the sums where branches join), in large type for a projector. A slider,
previous/next buttons and the arrow keys (also Page Up/Down, Home, End)
move through the steps; the address ends in ``#step=N`` so a link (or a
reload) opens that step. Without JavaScript every step is shown, one
after the other; printing also gives every step, one per page, black on
white.
"""
from __future__ import annotations

import html
import re

from ..explain import Explanation, pass_heading, step_heading, step_lines
from .dot import fmt
from .style import get_theme

# page colours per theme: background, text, muted, accent (the gradient colour),
# the highlight behind a sum where branches join
PAGE = {
    "light": ("#ffffff", "#111827", "#4b5563", "#c2410c", "#fef08a"),
    "dark": ("#111827", "#f3f4f6", "#9ca3af", "#fb923c", "#713f12"),
    "print": ("#ffffff", "#000000", "#444444", "#000000", "#e5e5e5"),
}

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_ID = re.compile(r'\bid="')
# namespace declarations: inline SVG in HTML needs none (and they look like links)
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')

CSS = """
*{box-sizing:border-box}
html{font-size:20px}
body{margin:0;background:var(--bg);color:var(--fg);
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Helvetica,Arial,sans-serif;
 line-height:1.4}
header{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:center;padding:.4rem 1rem;
 position:sticky;top:0;z-index:1;background:var(--bg);border-bottom:2px solid var(--muted)}
header h1{font-size:1rem;margin:0;flex:1 1 100%;white-space:nowrap;overflow:hidden;
 text-overflow:ellipsis}
header h1 small{color:var(--muted);font-weight:normal}
header button{font:inherit;font-size:1.05rem;padding:.2rem .9rem;border:2px solid var(--fg);
 border-radius:.4rem;background:var(--bg);color:var(--fg);cursor:pointer}
header button:disabled{opacity:.35;cursor:default}
header button[aria-pressed=true]{background:var(--fg);color:var(--bg)}
header input[type=range]{flex:1;min-width:8rem;height:2rem;accent-color:var(--accent)}
#where{font-weight:bold;white-space:nowrap;min-width:8.5rem;text-align:right}
main{padding:.4rem 1rem}
.step{display:flex;gap:1.4rem;align-items:flex-start;padding:.6rem 0 1.2rem;
 border-bottom:1px solid var(--muted)}
.js .step{display:none;border-bottom:0}
.js .step.current{display:flex}
/* the picture as tall as the window allows; the text takes the width left */
figure{margin:0;flex:0 1 auto;min-width:0;max-width:65%;text-align:center}
figure svg{display:block;height:calc(100vh - 6.5rem);width:auto;max-width:100%}
.zoom figure{overflow:auto;height:calc(100vh - 6.5rem);max-width:70%;flex:1 1 auto}
.zoom figure svg{height:auto;max-width:none;zoom:1.3}
.text{flex:1 1 22rem;min-width:18rem;position:sticky;top:6rem}
.text h2{font-size:1.45rem;margin:0 0 .1rem;overflow-wrap:anywhere}
.text .kind{color:var(--muted);margin:0 0 .2rem}
.text .pass{color:var(--muted);font-size:.85rem;margin:0 0 .6rem}
.text ol{list-style:none;margin:0;padding:0;font-size:1.2rem}
.text li{margin:.25rem 0;overflow-wrap:anywhere}
.text .g{font-weight:bold;font-size:1.3rem}
.column-sum{border-collapse:collapse;margin:.2rem 0 .2rem 1rem;font-weight:bold;
 font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:1.05rem}
.column-sum td{padding:.05rem .4rem;vertical-align:top;white-space:nowrap}
.column-sum .op{text-align:right;padding-right:.2rem}
.column-sum .from{font-family:system-ui,sans-serif;font-weight:normal;font-style:italic;
 color:var(--muted);font-size:.9rem}
.column-sum .total td{border-top:2px solid var(--fg)}
.text .rule{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
 font-size:1.05rem;margin-top:.7rem}
.text .product{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
 font-size:1.05rem;padding-left:1.4rem;color:var(--accent);font-weight:bold}
.text .sum{background:var(--mark);padding:.2rem .4rem;border-radius:.3rem;font-weight:bold}
.text .grad{font-weight:bold;border-left:.3rem solid var(--accent);padding-left:.5rem}
.text .seed{font-weight:bold}
.text .pruned{font-weight:bold;color:var(--muted)}
.text .note{color:var(--muted);font-style:italic;font-size:1.05rem}
footer{color:var(--muted);font-size:.85rem;padding:.4rem 1rem 1rem}
kbd{border:1px solid var(--muted);border-radius:.2rem;padding:0 .3rem;font-size:.85em}
@media (max-width:900px){.step,.js .step.current{flex-direction:column}
 figure{max-width:100%} figure svg{height:auto;max-height:70vh}
 .text{position:static}}
@media print{
 html{font-size:13pt}
 body{background:#fff;color:#000}
 header{position:static;border:0}
 header button,header input,#where,footer{display:none}
 .js .step,.step{display:flex;break-inside:avoid;page-break-inside:avoid;
  break-after:page;page-break-after:always;border:0}
 figure svg{height:auto;max-height:24cm}
 .text{position:static}
 .text .product,.text .grad{color:#000}
 .text .sum{background:none;border:2px solid #000}
}
"""

JS = """
(function(){
 var steps=document.querySelectorAll('.step'), n=steps.length;
 var slider=document.getElementById('slider'), where=document.getElementById('where');
 var prev=document.getElementById('prev'), next=document.getElementById('next');
 var zoom=document.getElementById('zoom');
 var current=0;
 function fromHash(){
  var m=/step=(\\d+)/.exec(location.hash||'');
  return m ? Math.min(Math.max(parseInt(m[1],10),1),n) : 1;
 }
 function focusActive(){
  if(!document.body.classList.contains('zoom')) return;
  var a=steps[current-1].querySelector('.active');
  if(a && a.scrollIntoView) a.scrollIntoView({block:'center',inline:'center'});
 }
 function show(k, keepHash){
  k=Math.min(Math.max(k,1),n);
  if(current) steps[current-1].classList.remove('current');
  steps[k-1].classList.add('current');
  current=k;
  slider.value=k;
  where.textContent='Step '+k+' of '+n;
  prev.disabled=(k===1); next.disabled=(k===n);
  document.title=steps[k-1].getAttribute('data-title');
  if(!keepHash && history.replaceState) history.replaceState(null,'','#step='+k);
  focusActive();
 }
 function toggleZoom(){
  var on=document.body.classList.toggle('zoom');
  zoom.setAttribute('aria-pressed', on ? 'true' : 'false');
  focusActive();
 }
 slider.addEventListener('input',function(){show(parseInt(slider.value,10));});
 prev.addEventListener('click',function(){show(current-1);});
 next.addEventListener('click',function(){show(current+1);});
 zoom.addEventListener('click',toggleZoom);
 document.addEventListener('keydown',function(e){
  if(e.altKey||e.ctrlKey||e.metaKey) return;
  if(e.key==='z'||e.key==='Z'){e.preventDefault(); toggleZoom(); return;}
  var k={ArrowLeft:current-1,ArrowUp:current-1,PageUp:current-1,
         ArrowRight:current+1,ArrowDown:current+1,PageDown:current+1,' ':current+1,
         Home:1,End:n}[e.key];
  if(k===undefined) return;
  e.preventDefault(); show(k);
 });
 window.addEventListener('hashchange',function(){show(fromHash(),true);});
 show(fromHash(),true);
})();
"""


def explanation_html(ex: Explanation, frames: list[str], *, theme: str = "light",
                     title: str | None = None) -> str:
    """The page (see the module docstring); ``frames``: one SVG per step."""
    if len(frames) != len(ex.steps):
        raise ValueError(f"{len(frames)} frames for {len(ex.steps)} steps")
    th = get_theme(theme)
    bg, fg, muted, accent, mark = PAGE[th.name]
    name = ex.record.filename
    title = title or f"Backward pass step by step: {name}"
    n = len(ex.steps)
    e = _esc
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        # before the body is drawn: hide all steps but the current one at once
        "<script>document.documentElement.classList.add('js')</script>",
        f"<style>:root{{--bg:{bg};--fg:{fg};--muted:{muted};--accent:{accent};--mark:{mark}}}"
        f"{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{e(title)} <small>" + " · ".join(e(pass_heading(p)) for p in ex.passes)
        + "</small></h1>",
        '<button id="prev" type="button" title="previous step (←)">◀ Prev</button>',
        f'<input id="slider" type="range" min="1" max="{n}" value="1" step="1" '
        'aria-label="step">',
        '<button id="next" type="button" title="next step (→)">Next ▶</button>',
        f'<span id="where">{n} steps</span>',
        '<button id="zoom" type="button" aria-pressed="false" '
        'title="picture at full size, scrolled to the step (z)">Zoom</button>',
        "</header>",
        "<main>",
    ]
    for st, svg in zip(ex.steps, frames):
        head, words = step_heading(ex, st)
        p = ex.pass_info(st.pass_no)
        svg = _XMLNS.sub("", _ID.sub(f'id="s{st.number}-', _PROLOG.sub("", svg, count=1)))
        lines = _lines_html(ex, st)
        parts += [
            f'<section class="step" id="step-{st.number}" data-step="{st.number}" '
            f'data-kind="{st.kind}" data-title="{e(f"Step {st.number} of {n}: {head}")}">',
            f'<figure aria-label="{e(f"step {st.number}: {head}")}">{svg}</figure>',
            '<div class="text">',
            f'<h2><span class="num">{st.number}.</span> {e(head)}</h2>',
            f'<p class="kind">{e(words)}</p>',
            f'<p class="pass">{e(pass_heading(p))}</p>',
            f"<ol>{lines}</ol>",
            "</div>",
            "</section>",
        ]
    parts += [
        "</main>",
        "<footer>g is the gradient that reached a node; each input gets g times the local "
        "derivative, and where branches join the contributions add up. Keys: "
        "<kbd>←</kbd> <kbd>→</kbd> step, <kbd>Home</kbd> <kbd>End</kbd> first and last, "
        "<kbd>z</kbd> zoom. "
        "In the picture the step's node is outlined; gradient edges appear as they are "
        "sent.</footer>",
        f"<script>{JS}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _lines_html(ex: Explanation, st) -> str:
    """The step's lines; a sum of several contributions is written as a
    column addition (addends under each other, each with where it came from)."""
    joins = [sent for sent in st.sent if sent.join is not None]
    out = []
    for kind, text in step_lines(ex, st):
        if kind == "g" and st.parts:
            out.append(f'<li class="g">g = {_column_sum(st.parts, st.g)}</li>')
        elif kind == "sum" and joins:
            sent = joins.pop(0)
            head = text.split(":", 1)[0]
            out.append(f'<li class="sum">{_esc(head)}:{_column_sum(sent.join, sent.total)}</li>')
        else:
            out.append(f'<li class="{kind}">{_esc(text)}</li>')
    return "".join(out)


def _column_sum(parts, total) -> str:
    rows = []
    for i, (src, value) in enumerate(parts):
        rows.append(f'<tr><td class="op">{"+" if i else ""}</td><td>{_esc(fmt(value))}</td>'
                    f'<td class="from">from {_esc(src)}</td></tr>')
    rows.append(f'<tr class="total"><td class="op">=</td><td>{_esc(fmt(total))}</td>'
                "<td></td></tr>")
    return f'<table class="column-sum">{"".join(rows)}</table>'


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


__all__ = ["explanation_html"]
