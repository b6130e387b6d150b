# Writes the example's sample.h: the model's input as a C array named app_sample.
#
#   awk -v prefix=<PREFIX> -v source=<file or ""> -f sample.awk <MODEL>/<name>.h [-]
#
# The model's header gives the input's size, type and zero point. With a source, its values come
# on standard input as `od -An -v -td1` prints the raw int8 file (one byte per value, in the
# model's input order); without one, every value is the input's zero point.

FNR == NR {
    if ($1 == "#define" && $2 == prefix "_INPUT_SIZE") size = $3 + 0
    if ($1 == "#define" && $2 == prefix "_INPUT_DTYPE") dtype = $3
    if ($1 == "#define" && $2 == prefix "_INPUT_ZERO_POINT") { zero_point = $3; gsub(/[()]/, "", zero_point) }
    next
}

{ for (i = 1; i <= NF; i++) values[count++] = $i }

END {
    if (size == 0) fail("no " prefix "_INPUT_SIZE in " FILENAME ": is NAME the model's name?")
    if (dtype != "\"int8\"") fail("the model's input is " dtype ": this example runs int8 models")
    if (source != "" && count != size) fail(source " holds " count " bytes; the model's input is " size " int8 values")
    if (source == "") {
        if (zero_point == "") zero_point = 0
        what = "every value at the input zero point (" zero_point ")"
    } else {
        what = source
        gsub(/["\\*]/, "_", what)  # a C string inside a C comment
    }
    print "/* The sample the example runs on: " what ". Written by sample.awk. */"
    print "#ifndef APP_SAMPLE_H"
    print "#define APP_SAMPLE_H"
    print ""
    print "#include <stdint.h>"
    print ""
    print "#define APP_SAMPLE_SOURCE \"" (source == "" ? "zero-point fill" : what) "\""
    print ""
    print "static const int8_t app_sample[" size "] = {"
    line = "   "
    for (i = 0; i < size; i++) {
        line = line " " (source == "" ? zero_point : values[i]) ","
        if (i % 16 == 15 || i == size - 1) { print line; line = "   " }
    }
    print "};"
    print ""
    print "#endif"
}

function fail(message) {
    print "sample.awk: " message > "/dev/stderr"
    failed = 1
    exit 1
}
