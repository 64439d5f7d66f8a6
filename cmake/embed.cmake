# Turn a text file into a C array: cmake -DIN=file -DOUT=file.c -P embed.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "/* generated from spec/rules.yaml by cmake/embed.cmake: do not edit */\n"
  "const char vqsim_rules_yaml[] = {${body}0x00};\n"
  "const unsigned long vqsim_rules_yaml_len = ${bytes};\n")
