# Makes the output of the SQL golden tests comparable across sqlite3 shell
# versions (RunSqlTest.cmake, NORMALIZE=ON): newer shells print reals with
# 17 significant digits where 3.40 prints 15, say "Error near line" where
# 3.40 says "Runtime error near line", leave out the extended code that
# 3.40 appends to constraint errors, and right-align numbers in column mode
# (so runs of padding spaces become one). Applied to the expected and the
# actual output alike.
{
  gsub(/ +/, " ")
  sub(/^ /, "")
  sub(/ $/, "")
  sub(/^Runtime error near/, "Error near")
  if ($0 ~ /^Error near/) sub(/ \([0-9]+\)$/, "")
  out = ""
  line = $0
  while (match(line, /-?[0-9]+\.[0-9]+(e[-+]?[0-9]+)?/)) {
    number = substr(line, RSTART, RLENGTH)
    digits = number
    sub(/e.*/, "", digits)
    gsub(/[^0-9]/, "", digits)
    sub(/^0+/, "", digits)
    if (length(digits) > 15) {
      number = sprintf("%.15g", number + 0)
      if (number !~ /[.e]/) number = number ".0"
    }
    out = out substr(line, 1, RSTART - 1) number
    line = substr(line, RSTART + RLENGTH)
  }
  print out line
}
