"""The backward pass step by step as one self-contained HTML page.

Everything is inline: the pictures (render/frames.py), the CSS and a few
lines of JavaScript; no network, no external scripts, fonts or images, so a
teacher can open the file from a USB stick in any browser, offline. Each
pass's picture is in the page once, with the markup of the node and edge
groups that change from step to step (rendered by frames.py, the same as
the SVG frames): a step's frame is that picture with its groups swapped in,
so the page grows with the changes, not with steps times picture size.

The page: one step at a time, the picture on the left and the step's text
on the right (the upstream gradient, the local derivatives, the products,
the sums where branches join), in large type for a projector. A slider,
previous/next buttons and the arrow keys (also Page Up/Down, Home, End)
move through the steps; the address ends in ``#step=N`` so a link (or a
reload) opens that step. Printing gives every step with its own picture,
one per page, black on white. Without JavaScript every step's text is shown
below each pass's picture as it looks after the pass's first step.
"""
from __future__ import annotations

import html
import json
import re

from ..explain import Explanation, fmt, pass_heading, step_heading, step_lines
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
.stage{display:flex;gap:1.4rem;align-items:flex-start}
/* the picture as tall as the window allows; the text takes the width left */
.pictures{flex:0 1 auto;min-width:0;max-width:65%}
figure{margin:0;text-align:center}
.js .pictures figure{display:none}
.js .pictures figure.current{display:block}
figure svg{display:block;height:calc(100vh - 6.5rem);width:auto;max-width:100%}
.zoom .pictures{overflow:auto;height:calc(100vh - 6.5rem);max-width:70%;flex:1 1 auto}
.zoom .pictures svg{height:auto;max-width:none;zoom:1.3}
.texts{flex:1 1 22rem;min-width:18rem;position:sticky;top:6rem}
.step{padding:.6rem 0 1.2rem;border-bottom:1px solid var(--muted)}
.js .step{display:none;border-bottom:0}
.js .step.current{display:block}
.print-figure{display:none}
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
.text .product .eq{display:block;padding-left:1.2rem}
.text .sum{background:var(--mark);padding:.2rem .4rem;border-radius:.3rem;font-weight:bold}
.text .grad{font-weight:bold;border-left:.3rem solid var(--accent);padding-left:.5rem}
.text .seed{font-weight:bold}
.text .pruned{font-weight:bold;color:var(--muted)}
.text .note{color:var(--muted);font-style:italic;font-size:1.05rem}
footer{color:var(--muted);font-size:.85rem;padding:.4rem 1rem 1rem}
kbd{border:1px solid var(--muted);border-radius:.2rem;padding:0 .3rem;font-size:.85em}
@media (max-width:900px){.stage{flex-direction:column}
 .pictures{max-width:100%} figure svg{height:auto;max-height:70vh}
 .texts{position:static}}
@media print{
 html{font-size:13pt}
 body{background:#fff;color:#000}
 header{position:static;border:0}
 header button,header input,#where,footer,.pictures{display:none}
 .texts{position:static}
 .js .step,.step{display:block;break-inside:avoid;page-break-inside:avoid;
  break-after:page;page-break-after:always;border:0}
 .print-figure{display:block;margin-bottom:.5rem}
 .print-figure svg{height:auto;max-height:17cm;max-width:100%}
 .text .product,.text .grad{color:#000}
 .text .sum{background:none;border:2px solid #000}
}
"""

JS = """
(function(){
 var steps=document.querySelectorAll('.step'), n=steps.length;
 var versions=JSON.parse(document.getElementById('versions').textContent);
 var slider=document.getElementById('slider'), where=document.getElementById('where');
 var prev=document.getElementById('prev'), next=document.getElementById('next');
 var zoom=document.getElementById('zoom');
 var current=0, figure=null, shown={};
 function fromHash(){
  var m=/step=(\\d+)/.exec(location.hash||'');
  return m ? Math.min(Math.max(parseInt(m[1],10),1),n) : 1;
 }
 // the markup each changing group of a pass has after step `index` of it
 function pick(list, index){
  var j=0;
  while(j+1<list.length && list[j+1][0]<=index) j++;
  return j;
 }
 function restyle(root, pass, index, memo){
  var vs=versions[pass]||{};
  for(var id in vs){
   var j=pick(vs[id], index);
   if(memo && memo[id]===j) continue;
   var el=root.querySelector('[id="'+id+'"]');
   if(el){ el.outerHTML=vs[id][j][1]; if(memo) memo[id]=j; }
  }
 }
 function focusActive(){
  if(!document.body.classList.contains('zoom') || !figure) return;
  var a=figure.querySelector('.active'), box=figure.parentNode;
  if(!a) return;
  // scroll the picture only (scrollIntoView would move the page as well)
  var r=a.getBoundingClientRect(), b=box.getBoundingClientRect();
  box.scrollTop+=(r.top+r.height/2)-(b.top+b.height/2);
  box.scrollLeft+=(r.left+r.width/2)-(b.left+b.width/2);
 }
 function show(k, keepHash){
  k=Math.min(Math.max(k,1),n);
  if(current) steps[current-1].classList.remove('current');
  var step=steps[k-1], pass=step.getAttribute('data-pass');
  step.classList.add('current');
  var fig=document.getElementById('pass-'+pass);
  if(fig!==figure){
   if(figure) figure.classList.remove('current');
   fig.classList.add('current');
   figure=fig;
  }
  shown[pass]=shown[pass]||{};
  restyle(fig, pass, parseInt(step.getAttribute('data-index'),10), shown[pass]);
  current=k;
  slider.value=k;
  where.textContent='Step '+k+' of '+n;
  prev.disabled=(k===1); next.disabled=(k===n);
  document.title=step.getAttribute('data-title');
  if(!keepHash && history.replaceState) history.replaceState(null,'','#step='+k);
  focusActive();
 }
 function toggleZoom(){
  var on=document.body.classList.toggle('zoom');
  zoom.setAttribute('aria-pressed', on ? 'true' : 'false');
  focusActive();
 }
 // printing: every step with its own picture, one per page
 window.addEventListener('beforeprint',function(){
  for(var i=0;i<n;i++){
   var pass=steps[i].getAttribute('data-pass');
   var box=document.createElement('div');
   box.className='print-figure';
   box.appendChild(document.getElementById('pass-'+pass).querySelector('svg').cloneNode(true));
   steps[i].insertBefore(box, steps[i].firstChild);
   restyle(box, pass, parseInt(steps[i].getAttribute('data-index'),10), null);
  }
 });
 window.addEventListener('afterprint',function(){
  var boxes=document.querySelectorAll('.print-figure');
  for(var i=0;i<boxes.length;i++) boxes[i].parentNode.removeChild(boxes[i]);
 });
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
 // a picture that would be drawn tiny to fit the window starts zoomed in
 var box=figure && figure.querySelector('svg'), vb=box && box.viewBox && box.viewBox.baseVal;
 if(vb && vb.height && box.getBoundingClientRect().height < 0.45*vb.height*4/3) toggleZoom();
})();
"""


def explanation_html(ex: Explanation, pictures: list, *, theme: str = "light",
                     title: str | None = None) -> str:
    """The page (see the module docstring); ``pictures``: frames.PassPicture
    per pass of ``ex``. Each pass's picture is inline once, in the state
    after its first step; the groups that change later are inline too, as
    JSON, and the script swaps them in step by step."""
    th = get_theme(theme)
    bg, fg, muted, accent, mark = PAGE[th.name]
    title = title or f"Backward pass step by step: {ex.record.filename}"
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
        '<main class="stage">',
        '<div class="pictures">',
    ]
    versions = {}
    for pic in pictures:
        prefix = f'id="p{pic.number}-'
        svg = _XMLNS.sub("", _ID.sub(prefix, _PROLOG.sub("", pic.frame(0), count=1)))
        parts.append(f'<figure class="pass" id="pass-{pic.number}" data-pass="{pic.number}" '
                     f'aria-label="{e(pass_heading(ex.pass_info(pic.number)))}">{svg}</figure>')
        versions[str(pic.number)] = {
            f"p{pic.number}-{gid}": [[i, _XMLNS.sub("", _ID.sub(prefix, markup))]
                                     for i, markup in entries]
            for gid, entries in pic.versions().items()}
    parts += ["</div>", '<div class="texts">']
    for st in ex.steps:
        head, words = step_heading(ex, st)
        p = ex.pass_info(st.pass_no)
        parts += [
            f'<section class="step" id="step-{st.number}" data-step="{st.number}" '
            f'data-pass="{st.pass_no}" data-index="{st.index}" data-kind="{st.kind}" '
            f'data-title="{e(f"Step {st.number} of {n}: {head}")}">',
            '<div class="text">',
            f'<h2><span class="num">{st.number}.</span> {e(head)}</h2>',
            f'<p class="kind">{e(words)}</p>',
            f'<p class="pass">{e(pass_heading(p))}</p>',
            f"<ol>{_lines_html(ex, st)}</ol>",
            "</div>",
            "</section>",
        ]
    # "</" cannot end the script element early
    data = json.dumps(versions, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    parts += [
        "</div>",
        "</main>",
        f"<footer>{e(ex.g)} is the gradient that reached a node; each input gets {e(ex.g)} "
        "times the local derivative, and where branches join the contributions add up. Keys: "
        "<kbd>←</kbd> <kbd>→</kbd> step, <kbd>Home</kbd> <kbd>End</kbd> first and last, "
        "<kbd>z</kbd> zoom. In the picture the step's node is outlined in pink; gradient "
        "edges appear as they are sent.</footer>",
        f'<script type="application/json" id="versions">{data}</script>',
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
            out.append(f'<li class="g">{_esc(ex.g)} = {_column_sum(st.parts, st.g)}</li>')
        elif kind == "product":
            # a derivation, one equals sign per line: g · b / = values / = result
            first, *rest = text.split(" = ")
            out.append(f'<li class="product">{_esc(first)}'
                       + "".join(f'<span class="eq">= {_esc(r)}</span>' for r in rest)
                       + "</li>")
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
