//! One self-contained HTML page for a person who does not read JSON: the verdict, a chart of
//! findings by severity and scanner (inline SVG), the findings in a table that sorts by any
//! column and filters as you type, the image's layers, and the packages. No request of any
//! kind leaves the page: styles, script and chart are inline, and a Content-Security-Policy
//! forbids loading anything else. The rows are written in the HTML itself, so the page reads
//! without script; the script only sorts and filters.

use std::collections::BTreeMap;
use std::fmt::Write;

use hull_types::{ScanReport, Scanner, Severity};

use crate::RenderOptions;

use crate::escape_markup as esc;

const LEVELS: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Unknown,
];

fn colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#8b0000",
        Severity::High => "#d9480f",
        Severity::Medium => "#e8a400",
        Severity::Low => "#3b7dd8",
        Severity::Unknown => "#888888",
    }
}

use crate::Row;

/// A horizontal stacked bar per scanner, one segment per severity.
fn chart(rows: &[Row]) -> String {
    let mut counts: BTreeMap<Scanner, BTreeMap<Severity, usize>> = BTreeMap::new();
    for r in rows {
        *counts
            .entry(r.scanner)
            .or_default()
            .entry(r.severity)
            .or_default() += 1;
    }
    let max = counts
        .values()
        .map(|m| m.values().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, bar, gap, label) = (640.0, 22.0, 10.0, 90.0);
    let height = Scanner::ALL.len() as f64 * (bar + gap) + 30.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"findings by severity and scanner\" width=\"{}\" height=\"{height}\">",
        w + label + 60.0
    );
    for (i, sc) in Scanner::ALL.iter().enumerate() {
        let y = i as f64 * (bar + gap);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>",
            y + bar * 0.7,
            sc
        );
        let mut x = label;
        let mut total = 0;
        for l in LEVELS {
            let n = counts.get(sc).and_then(|m| m.get(&l)).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            total += n;
            let width = w * n as f64 / max as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"{bar}\" fill=\"{}\"><title>{n} {l}</title></rect>",
                colour(l)
            );
            x += width;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{total}</text>",
            x + 6.0,
            y + bar * 0.7
        );
    }
    let mut lx = label;
    let ly = height - 8.0;
    for l in LEVELS {
        let _ = write!(
            svg,
            "<rect x=\"{lx}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{ly}\" font-size=\"12\">{l}</text>",
            ly - 10.0,
            colour(l),
            lx + 16.0
        );
        lx += 95.0;
    }
    svg.push_str("</svg>");
    svg
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem}
.meta{color:#555}.verdict{padding:.6rem 1rem;border-radius:4px;font-weight:600;display:inline-block}
.pass{background:#e6f4ea;color:#1e6b34}.fail{background:#fdecea;color:#8b1a1a}.none{background:#eef}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f6f6;user-select:none}th.sorted-asc::after{content:' \\25B2'}th.sorted-desc::after{content:' \\25BC'}
.sev{font-weight:600}.sev-critical{color:#8b0000}.sev-high{color:#d9480f}.sev-medium{color:#b07d00}.sev-low{color:#3b7dd8}
input[type=search]{padding:.3rem;width:20rem;margin:.5rem 0}code{font-size:.85rem}";

/// Sorting by a column's `data-key` (numbers for severities), and filtering rows by text.
/// `#selftest` in the URL makes the page sort and filter itself and record the outcome in
/// `data-selftest`, so a headless browser test can check the script really works.
const SCRIPT: &str = r#"(function(){
function sortTable(table, col, dir){
  var body=table.tBodies[0]; var rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){
    var x=a.cells[col].getAttribute('data-key')||a.cells[col].textContent;
    var y=b.cells[col].getAttribute('data-key')||b.cells[col].textContent;
    var nx=parseFloat(x), ny=parseFloat(y);
    var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
    return dir==='asc'?c:-c;});
  rows.forEach(function(r){body.appendChild(r);});
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h,i){
    h.classList.remove('sorted-asc','sorted-desc'); if(i===col){h.classList.add('sorted-'+dir);}});
}
function filterTable(table, text){
  var t=text.toLowerCase(), shown=0;
  Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
    var ok=r.textContent.toLowerCase().indexOf(t)!==-1; r.style.display=ok?'':'none'; if(ok){shown++;}});
  return shown;
}
document.querySelectorAll('table.sortable').forEach(function(table){
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h,i){
    h.addEventListener('click',function(){
      sortTable(table,i,h.classList.contains('sorted-asc')?'desc':'asc');});});
});
document.querySelectorAll('input[data-filter]').forEach(function(input){
  var table=document.getElementById(input.getAttribute('data-filter'));
  input.addEventListener('input',function(){filterTable(table,input.value);});
});
var findings=document.getElementById('findings');
document.body.setAttribute('data-ready', findings?findings.tBodies[0].rows.length:0);
if(location.hash==='#selftest'&&findings){
  sortTable(findings,1,'asc');
  var first=findings.tBodies[0].rows[0];
  var lowest=first?first.cells[1].textContent:'';
  var shown=filterTable(findings,'zzz-no-such-finding');
  var all=filterTable(findings,'');
  document.body.setAttribute('data-selftest','sorted:'+lowest+';none:'+shown+';all:'+all);
}
})();"#;

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let img = &report.image;
    let all = crate::rows(report);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>hull: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&img.name)
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(&img.name));
    let mut meta = vec![format!("source {}", img.source)];
    if let Some(id) = &img.image_id {
        meta.push(format!("image id <code>{}</code>", esc(&id.to_string())));
    }
    if let Some(os) = &img.os {
        meta.push(esc(os.pretty_name.as_deref().unwrap_or(&os.id)));
    }
    meta.push(format!("{} packages", report.packages.len()));
    meta.push(format!(
        "scanned by hull {} at {}",
        esc(&opts.tool_version),
        crate::rfc3339(opts.now)
    ));
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", meta.join(" · "));
    match &report.policy {
        Some(p) => {
            let class = if p.passed { "pass" } else { "fail" };
            let _ = writeln!(
                out,
                "<p class=\"verdict {class}\" id=\"verdict\">{}</p>",
                esc(&p.summary)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "<p class=\"verdict none\" id=\"verdict\">no policy evaluated</p>"
            );
        }
    }
    let _ = writeln!(
        out,
        "<h2>Findings by severity and scanner</h2>\n{}",
        chart(&all)
    );
    let _ = writeln!(
        out,
        "<h2>Findings ({})</h2>\n<input type=\"search\" placeholder=\"filter findings\" data-filter=\"findings\" aria-label=\"filter findings\">",
        all.len()
    );
    let _ = writeln!(out, "<table class=\"sortable\" id=\"findings\"><thead><tr><th>scanner</th><th>severity</th><th>id</th><th>where</th><th>detail</th><th>layer</th></tr></thead><tbody>");
    for Row {
        scanner: sc,
        severity: sev,
        id,
        at,
        detail,
        layer,
    } in &all
    {
        let _ = writeln!(
            out,
            "<tr><td>{sc}</td><td class=\"sev sev-{sev}\" data-key=\"{}\">{sev}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            *sev as u8,
            esc(id),
            esc(at),
            esc(detail),
            esc(layer)
        );
    }
    let _ = writeln!(out, "</tbody></table>");
    if let Some(p) = &report.policy {
        if !p.suppressed.is_empty() || !p.ignores.is_empty() {
            let _ = writeln!(
                out,
                "<h2>Accepted and filtered ({})</h2>",
                p.suppressed.len()
            );
            let _ = writeln!(out, "<table class=\"sortable\" id=\"suppressed\"><thead><tr><th>id</th><th>where</th><th>by</th></tr></thead><tbody>");
            for s in &p.suppressed {
                let by = match &s.by {
                    hull_types::SuppressedBy::Ignore {
                        source,
                        reason,
                        expires,
                    } => format!(
                        "ignore ({source}): {reason}{}",
                        expires
                            .as_ref()
                            .map_or(String::new(), |e| format!(", until {e}"))
                    ),
                    hull_types::SuppressedBy::Vex { source, status, .. } => {
                        format!("VEX {status} ({source})")
                    }
                    hull_types::SuppressedBy::Filter { filter } => format!("--{filter}"),
                };
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(&s.finding.id),
                    esc(&s.finding.target),
                    esc(&by)
                );
            }
            for i in &p.ignores {
                let _ = writeln!(
                    out,
                    "<tr><td><code>{}</code></td><td></td><td>ignore ({}) {:?}</td></tr>",
                    esc(&i.names),
                    esc(&i.source),
                    i.status
                );
            }
            let _ = writeln!(out, "</tbody></table>");
        }
    }
    if !img.layers.is_empty() {
        let _ = writeln!(out, "<h2>Layers ({})</h2>", img.layers.len());
        let _ = writeln!(out, "<table class=\"sortable\" id=\"layers\"><thead><tr><th>#</th><th>diff_id</th><th>size</th><th>created by</th></tr></thead><tbody>");
        for l in &img.layers {
            let _ = writeln!(
                out,
                "<tr><td data-key=\"{}\">{}</td><td><code>{}</code></td><td data-key=\"{}\">{:.1} MiB</td><td>{}</td></tr>",
                l.index + 1,
                l.index + 1,
                esc(&l.diff_id.to_string()),
                l.size,
                l.size as f64 / (1 << 20) as f64,
                esc(l.created_by.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "</tbody></table>");
    }
    let _ = writeln!(
        out,
        "<h2>Packages ({})</h2>\n<details><summary>show</summary>\n<input type=\"search\" placeholder=\"filter packages\" data-filter=\"packages\" aria-label=\"filter packages\">",
        report.packages.len()
    );
    let _ = writeln!(out, "<table class=\"sortable\" id=\"packages\"><thead><tr><th>type</th><th>name</th><th>version</th><th>licences</th><th>path</th></tr></thead><tbody>");
    for p in &report.packages {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.kind,
            esc(&p.name),
            esc(&p.version),
            esc(&p.licenses.join(", ")),
            esc(&p.location.path)
        );
    }
    let _ = writeln!(out, "</tbody></table></details>");
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}
