# Turn a text file into a C array: cmake -DIN=file -DOUT=file.c [-DNAME=symbol] -P embed.cmake
# (NAME defaults to vqsim_rules_yaml; NAME_len holds the length)
if(NOT NAME)
  set(NAME vqsim_rules_yaml)
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
get_filename_component(src ${IN} NAME)
file(WRITE ${OUT} "/* generated from spec/${src} by cmake/embed.cmake: do not edit */\n"
  "const char ${NAME}[] = {${body}0x00};\n"
  "const unsigned long ${NAME}_len = ${bytes};\n")
