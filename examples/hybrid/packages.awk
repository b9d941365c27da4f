# Debian package stanzas (apt-cache dumpavail) to one line per package:
# name <TAB> source package <TAB> section <TAB> one-line description.
# A package without a Source field is its own source; "Source: x (1.2)"
# names source x. The first stanza of a package wins (the lists of several
# architectures and suites repeat names).
function flush() {
  if (name != "" && !(name in seen) && description != "") {
    seen[name] = 1
    print name "\t" (source == "" ? name : source) "\t" section "\t" description
  }
  name = source = section = description = ""
}
/^Package: / { name = substr($0, 10) }
/^Source: / { source = substr($0, 9); sub(/ .*/, "", source) }
/^Section: / { section = substr($0, 10) }
/^Description: / { description = substr($0, 14); gsub(/\t/, " ", description) }
/^$/ { flush() }
END { flush() }
