# doc_snippets.awk - the code blocks of Markdown files, for the doc test
# (tests/system/doc_snippets.bats). Every block is fenced and says what it
# is: ```conf (rcptguard.conf lines), ```sh (commands to type) or ```text
# (anything else: output, another program's file). Each conf and sh block
# is written to OUT/FILE_LINE.LANG without its fence's indentation.
# A fence without one of those markers, an unclosed fence or an indented
# (unfenced) code block, which could hide a snippet from the test, is an
# error naming FILE:LINE, and the exit status is 1.
# usage: awk -v out=DIR -f doc_snippets.awk FILE.md...

function err(file, line, msg) {
	printf "%s:%d: %s\n", file, line, msg > "/dev/stderr"
	bad = 1
}

function indent(s) {
	match(s, /^ */)
	return RLENGTH
}

function unclosed() {
	if (fence)
		err(fence_file, fence_line, "fence never closed")
	fence = 0
}

FNR == 1 {
	unclosed()
	blank = 1	# the start of a file is a block boundary
	list = 0	# the content indent of the list item we are in
	code = 0	# inside an indented code block already reported
	base = FILENAME
	sub(/.*\//, "", base)
}

fence && /^ *```+ *$/ {
	fence = 0
	blank = 0
	if (snippet != "")
		close(snippet)
	next
}

fence {
	n = indent($0)
	if (snippet != "")
		print substr($0, (n < fence_indent ? n : fence_indent) + 1) > snippet
	next
}

/^ *```/ {
	fence = 1
	fence_file = FILENAME
	fence_line = FNR
	fence_indent = indent($0)
	lang = $0
	sub(/^ *```+ */, "", lang)
	sub(/[ \t].*/, "", lang)
	snippet = ""
	if (lang == "conf" || lang == "sh")
		snippet = out "/" base "_" FNR "." lang
	else if (lang != "text")
		err(FILENAME, FNR, "mark the fence ```conf, ```sh or ```text, not ```" lang)
	if (snippet != "")
		printf "" > snippet
	code = 0
	next
}

/^[ \t]*$/ {
	blank = 1
	next
}

{
	n = indent($0)
	if (code && n >= list + 4)
		next
	code = 0
	if (blank && n >= list + 4) {
		err(FILENAME, FNR, "an indented code block: fence it as ```conf, ```sh or ```text")
		code = 1
	} else if (match($0, /^ *([-*+]|[0-9]+[.)]) +/))
		list = RLENGTH
	else if (blank && n < list)
		list = 0
	blank = 0
}

END {
	unclosed()
	exit bad
}
