/** The style sheet: Notion's light theme, system fonts, nothing loaded from elsewhere. */
const COLORS: [name: string, text: string, background: string][] = [
  ['gray', '#787774', '#f1f1ef'], ['brown', '#9f6b53', '#f4eeee'], ['orange', '#d9730d', '#fbecdd'], ['yellow', '#cb912f', '#fbf3db'],
  ['green', '#448361', '#edf3ec'], ['blue', '#337ea9', '#e7f3f8'], ['purple', '#9065b0', '#f6f3f9'], ['pink', '#c14c8a', '#faf1f5'],
  ['red', '#d44c47', '#fdebec'],
];
/** Select chips are a shade stronger than block backgrounds, as in Notion. */
const CHIPS: Record<string, string> = {
  default: '#e3e2e080', gray: '#e3e2e0', brown: '#eee0da', orange: '#fadec9', yellow: '#fdecc8', green: '#dbeddb', blue: '#d3e5ef',
  purple: '#e8deee', pink: '#f5e0e9', red: '#ffe2dd',
};

const colorRules = [
  ...COLORS.map(([name, text, background]) => `.tc-${name}{color:${text}}.bg-${name}{background:${background}}`),
  ...Object.entries(CHIPS).map(([name, background]) => `.chip.c-${name}{background:${background}}`),
].join('\n');

export const STYLES = `
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font-family:ui-sans-serif,-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,"Liberation Sans",Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji";
  color:#37352f;background:#fff;font-size:15px;line-height:1.5;-webkit-font-smoothing:antialiased}
a{color:inherit;text-decoration:none}
code{font-family:ui-monospace,SFMono-Regular,Menlo,"Liberation Mono",monospace;font-size:85%;background:#87837526;color:#eb5757;border-radius:4px;padding:.15em .35em}
/* The sidebar's colour runs the page's full height, also where the sticky sidebar itself ends (print, full-page captures). */
.app{display:flex;min-height:100vh;background:linear-gradient(to right,#f7f7f5 248px,#ededec 248px,#ededec 249px,#fff 249px)}
.sidebar{width:248px;flex:none;background:#f7f7f5;border-right:1px solid #ededec;padding:10px 8px;font-size:14px;color:#5f5e5b;position:sticky;top:0;height:100vh;overflow:auto}
.workspace{display:flex;align-items:center;gap:8px;font-weight:600;color:#37352f;padding:6px 8px;border-radius:6px}
.ws-badge{width:22px;height:22px;border-radius:4px;background:#37352f;color:#fff;display:inline-flex;align-items:center;justify-content:center;font-size:12px}
.sidebar-label{font-size:12px;font-weight:600;color:#91918e;margin:16px 8px 4px}
.tree,.tree ul{list-style:none;margin:0;padding:0}
.tree ul{padding-left:14px}
.tree a{display:flex;gap:6px;align-items:center;padding:3px 8px;border-radius:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tree a:hover,.workspace:hover{background:#ebebea}
.tree a.active{background:#e8e8e6;color:#37352f;font-weight:500}
.icon{width:20px;text-align:center;flex:none}
.sidebar-foot{font-size:12px;color:#a5a4a1;margin:24px 8px 0}
.main{flex:1;min-width:0}
.topbar{display:flex;align-items:center;justify-content:space-between;height:45px;padding:0 16px;font-size:14px;position:sticky;top:0;background:#ffffffeb;z-index:2}
.breadcrumb{display:flex;align-items:center;gap:4px;min-width:0;overflow:hidden;white-space:nowrap}
.crumb{padding:2px 6px;border-radius:4px;color:#5f5e5b}
a.crumb:hover{background:#efefee}
.crumb.current{color:#37352f}
.sep{color:#c7c6c4}
.badge{font-size:12px;color:#9b9a97;border:1px solid #e9e9e7;border-radius:4px;padding:1px 6px}
.content{max-width:900px;margin:0 auto;padding:32px 56px 120px}
.content.wide{max-width:1240px}
.page-icon{font-size:64px;line-height:1;margin:24px 0 8px}
h1.page-title{font-size:40px;line-height:1.2;font-weight:700;margin:8px 0 6px}
.description{color:#787774;margin:4px 0 20px;max-width:760px}
.muted{color:#9b9a97}
h1,h2,h3{font-weight:600;line-height:1.3}
.block-h1{font-size:1.875em;margin:1.4em 0 .3em}
.block-h2{font-size:1.5em;margin:1.2em 0 .3em}
.block-h3{font-size:1.25em;margin:1em 0 .2em}
p.block{margin:.3em 0;min-height:1.5em;white-space:pre-wrap}
.callout-text{white-space:pre-wrap}
ul.block-list,ol.block-list{margin:.2em 0;padding-left:1.6em}
ul.block-list li,ol.block-list li{margin:.15em 0;padding-left:.2em}
.callout{display:flex;gap:10px;padding:16px 16px 16px 12px;border-radius:6px;margin:8px 0;background:#f1f1ef}
.callout.bg-default{background:transparent;border:1px solid #e9e9e7}
.callout-icon{font-size:21px;line-height:1.3;width:26px;text-align:center;flex:none}
.callout-body{flex:1;min-width:0}
.callout-body>.callout-text{margin:0 0 .3em}
hr.divider{border:0;border-top:1px solid #e9e9e7;margin:14px 0}
blockquote{border-left:3px solid currentColor;margin:.4em 0;padding:0 .9em}
.todo{display:flex;gap:8px;align-items:baseline;margin:.2em 0}
.todo.done .todo-text{text-decoration:line-through;color:#9b9a97}
details.toggle{margin:.2em 0}
pre.code{background:#f7f6f3;border-radius:4px;padding:20px;overflow:auto;font-size:85%}
pre.code code{background:none;color:inherit;padding:0}
.link-card{display:flex;align-items:center;gap:8px;padding:6px 8px;margin:2px -8px;border-radius:6px;font-weight:500}
.link-card:hover{background:#efefee}
.link-card .title{border-bottom:1px solid #37352f30}
.link-card .sub{color:#9b9a97;font-weight:400;font-size:13px;margin-left:4px}
.simple-table{border-collapse:collapse;margin:10px 0;font-size:14px}
.simple-table td,.simple-table th{border:1px solid #e9e9e7;padding:6px 10px;text-align:left;vertical-align:top}
.simple-table th{background:#f7f6f3;font-weight:500}
.props{display:grid;grid-template-columns:200px 1fr;gap:2px 12px;font-size:14px;margin:8px 0 24px;padding-bottom:16px;border-bottom:1px solid #e9e9e7}
.props dt{color:#787774;padding:5px 0;display:flex;gap:6px}
.props dd{margin:0;padding:5px 0;min-height:32px;word-break:break-word}
.tabs{display:flex;gap:2px;border-bottom:1px solid #e9e9e7;margin:16px 0 8px;overflow-x:auto}
.tabs a{padding:6px 10px;font-size:14px;color:#787774;white-space:nowrap;border-radius:6px 6px 0 0}
.tabs a:hover{background:#efefee;color:#37352f}
.stats{display:flex;gap:20px;font-size:14px;color:#787774;margin:0 0 6px}
.stats strong{color:#37352f;font-weight:600}
section.view{margin:36px 0 0}
.view-title{font-size:18px;margin:0 0 2px;display:flex;gap:8px;align-items:center}
h3.view-title{font-size:15px}
.glyph{color:#9b9a97;font-weight:400;font-size:.9em}
.view-count{color:#9b9a97;font-weight:400;font-size:14px;margin-left:2px}
.view-meta{font-size:13px;color:#9b9a97;margin:0 0 10px}
.table-wrap{overflow-x:auto;border-top:1px solid #e9e9e7;margin-top:8px}
table.db-table{border-collapse:collapse;font-size:14px;min-width:100%}
.db-table th{font-weight:400;color:#787774;text-align:left;white-space:nowrap;padding:7px 10px;border-bottom:1px solid #e9e9e7;border-right:1px solid #e9e9e7}
.db-table td{padding:7px 10px;border-bottom:1px solid #e9e9e7;border-right:1px solid #e9e9e7;white-space:nowrap;max-width:320px;overflow:hidden;text-overflow:ellipsis;vertical-align:top}
.db-table th:last-child,.db-table td:last-child{border-right:0}
.db-table td.t-title{font-weight:500}
.db-table td.t-number,.db-table td.t-formula,.db-table th.t-number{text-align:right}
.db-table tr:hover td{background:#fafaf9}
.db-table .glyph{margin-right:6px;font-size:12px}
.row-link{border-bottom:1px solid #37352f30}
.row-link:hover{border-bottom-color:#37352f}
.num{font-variant-numeric:tabular-nums}
.chip{display:inline-block;padding:0 6px;border-radius:3px;font-size:13px;line-height:20px;white-space:nowrap;margin:1px 4px 1px 0;color:#32302c}
.check{display:inline-flex;width:16px;height:16px;border:1.5px solid #c7c6c4;border-radius:3px;vertical-align:middle;align-items:center;justify-content:center;font-size:12px;line-height:1}
.check.on{background:#2383e2;border-color:#2383e2;color:#fff}
.more{font-size:13px;color:#9b9a97;margin:8px 2px}
.empty,.note,.problem{font-size:14px;color:#9b9a97;margin:8px 0}
.problem{color:#d44c47}
.board{display:flex;gap:14px;overflow-x:auto;padding:6px 0 10px;align-items:flex-start}
.board-column{width:270px;flex:none;border-radius:8px;padding:6px;background:#f7f7f5}
.board-head{display:flex;align-items:center;gap:8px;padding:4px 4px 8px;font-size:14px}
.board-head .count{color:#9b9a97}
.card{background:#fff;border-radius:6px;box-shadow:0 0 0 1px #0f0f0f14,0 2px 4px #0f0f0f14;padding:10px 10px 8px;margin:0 0 8px;font-size:14px}
.card-title{font-weight:500;margin-bottom:6px}
.card-field{display:flex;align-items:center;gap:8px;min-height:22px;font-size:13px}
.card-label{color:#9b9a97;width:92px;flex:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
figure.chart{margin:8px 0 0;border:1px solid #e9e9e7;border-radius:8px;padding:14px 16px 12px}
.chart-summary{display:flex;align-items:baseline;gap:10px;margin-bottom:6px;font-size:13px}
.chart-summary .big{font-size:26px;font-weight:600;color:#37352f;font-variant-numeric:tabular-nums}
.chart-body.donut{display:flex;align-items:center;gap:36px;flex-wrap:wrap}
.chart-svg{display:block;overflow:visible;max-width:100%}
.chart-svg .grid{stroke:#efefee;stroke-width:1}
.chart-svg .axis{stroke:#d3d2cf;stroke-width:1}
.chart-svg text{font-family:inherit;fill:#787774}
.chart-svg .tick{font-size:11px}
.chart-svg .axis-title{font-size:12px;fill:#9b9a97}
.chart-svg .value-label{font-size:11px;fill:#37352f;font-weight:500}
.chart-svg .reference-label{font-size:11px;font-weight:600}
.chart-svg .line{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}
.chart-svg .area{opacity:.12}
.chart-svg rect.bar:hover,.chart-svg circle.slice:hover{opacity:.8}
.chart-svg .donut-total{font-size:22px;font-weight:600;fill:#37352f}
.chart-svg .donut-caption{font-size:12px}
.big-number{font-size:44px;font-weight:600;padding:16px 0}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 0 0;padding:0;font-size:13px}
.legend.side{flex-direction:column;margin:0;min-width:240px}
.legend-item{display:flex;align-items:center;gap:6px}
.swatch{width:10px;height:10px;border-radius:2px;flex:none}
.legend-value{color:#37352f;font-variant-numeric:tabular-nums;margin-left:auto;padding-left:12px}
.legend-share{color:#9b9a97;width:40px;text-align:right;font-variant-numeric:tabular-nums}
.dashboard{display:flex;flex-direction:column;gap:16px;margin-top:10px}
.dash-row{display:flex;gap:16px;flex-wrap:wrap}
.widget{flex:1 1 460px;min-width:0;border:1px solid #e9e9e7;border-radius:10px;padding:4px 16px 16px;background:#fff}
.widget section.view{margin-top:10px}
.widget figure.chart{border:0;padding:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px;margin:12px 0 28px}
.db-card{display:block;border:1px solid #e9e9e7;border-radius:8px;padding:14px 16px;transition:background .1s}
.db-card:hover{background:#f7f7f5}
.db-card .db-card-title{font-weight:600;display:flex;gap:8px;align-items:center}
.db-card .db-card-desc{font-size:13px;color:#787774;margin:6px 0 8px;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.db-card .db-card-meta{font-size:12px;color:#9b9a97}
.index-page{margin:0 0 40px}
.index-page h2{font-size:22px;margin:28px 0 4px;display:flex;gap:10px;align-items:center}
.error-page{text-align:center;padding-top:80px;color:#787774}
${colorRules}
@media (max-width:800px){.sidebar{display:none}.content{padding:24px 20px 80px}}
`;
