# Recall@10 against queries/s from bench/ivf.py's CSV, drawn like
# ann-benchmarks' plots: recall on x, queries/s on a log scale on y, up and to
# the right is better; the exact scans sit at recall 1. bench/ivf.py --png
# runs it as
#   gnuplot -e "csv='ivf.csv'; out='ivf.png'; plot_title='...'; set_lists='lists=1024'; default_lists='lists=340 (default)'" bench/plot_ivf.gp
if (!exists("csv")) csv = 'ivf.csv'
if (!exists("out")) out = 'ivf.png'
if (!exists("plot_title")) plot_title = 'IVF: recall@10 against queries/s'
if (!exists("set_lists")) set_lists = 'lists=1024'
if (!exists("default_lists")) default_lists = 'default lists'

set terminal pngcairo noenhanced size 900,600 font 'sans,10'
set output out
set datafile separator ','
set title plot_title
set xlabel 'recall@10'
set ylabel 'queries/s (log scale)'
set logscale y
set format y '%g'
set grid xtics ytics mytics
set key bottom left box opaque
set xrange [*:1.01]

# Columns: 1 section, 2 engine, 3 setting ('set', 'default' or 'exact'),
# 5 probes, 6 recall@10, 8 queries/s.
is(e, s) = strcol(1) eq 'search' && strcol(2) eq e && strcol(3) eq s
pick(e, s, col) = is(e, s) ? column(col) : NaN

plot \
  csv every ::1 using (pick('quiver', 'set', 6)):(pick('quiver', 'set', 8)) with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'Quiver IVF, '.set_lists, \
  csv every ::1 using (pick('quiver', 'set', 6)):(pick('quiver', 'set', 8)):5 with labels offset char 0,0.9 font ',8' tc rgb '#1f77b4' notitle, \
  csv every ::1 using (pick('quiver', 'default', 6)):(pick('quiver', 'default', 8)) with linespoints lw 2 pt 9 lc rgb '#2ca02c' title 'Quiver IVF, '.default_lists, \
  csv every ::1 using (pick('quiver', 'default', 6)):(pick('quiver', 'default', 8)):5 with labels offset char 0,0.9 font ',8' tc rgb '#2ca02c' notitle, \
  csv every ::1 using (pick('faiss', 'set', 6)):(pick('faiss', 'set', 8)) with linespoints lw 2 pt 5 lc rgb '#d62728' title 'Faiss IndexIVFFlat, '.set_lists, \
  csv every ::1 using (pick('faiss', 'set', 6)):(pick('faiss', 'set', 8)):5 with labels offset char 0,-0.9 font ',8' tc rgb '#d62728' notitle, \
  csv every ::1 using (pick('faiss', 'default', 6)):(pick('faiss', 'default', 8)) with linespoints lw 2 dt 2 pt 4 lc rgb '#ff7f0e' title 'Faiss IndexIVFFlat, '.default_lists, \
  csv every ::1 using (pick('quiver flat', 'exact', 6)):(pick('quiver flat', 'exact', 8)) with points pt 13 ps 1.6 lc rgb '#1f77b4' title 'Quiver flat (exact)', \
  csv every ::1 using (pick('faiss flat', 'exact', 6)):(pick('faiss flat', 'exact', 8)) with points pt 11 ps 1.6 lc rgb '#d62728' title 'Faiss IndexFlatIP (exact)', \
  csv every ::1 using (pick('sqlite-vec', 'exact', 6)):(pick('sqlite-vec', 'exact', 8)) with points pt 15 ps 1.6 lc rgb '#9467bd' title 'sqlite-vec vec0 (exact)'
