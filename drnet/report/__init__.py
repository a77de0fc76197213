"""Reports: every picture and table - images, grids and animations, labels and scale stamps, matplotlib plots,
tables (CSV, Markdown, LaTeX, HTML) and the paper report page. The numbers come from ``drnet.eval``."""
