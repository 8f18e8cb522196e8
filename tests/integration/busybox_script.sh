# busybox_script.sh: the Linux process model seen through a shell, for
# `busybox sh busybox_script.sh` on a vNode and on the host, whose outputs must
# match: pipelines, fd redirections, $(...), loops, traps, background jobs and
# wait, and busybox's applets (run as builtins or re-executed via /proc/self/exe).
# Deterministic: no pids, times or files (no file is created or read), and it
# must not depend on the host's tools (it runs with PATH=/nonexistent).

trap 'echo "exit trap: status $?"' EXIT

section() {
	echo "== $1"
}

section "pipelines"
echo "hello tessera" | tr a-z A-Z
seq 10 | sort -rn | head -n 3 | tr '\n' ' '
echo
printf 'b\na\nc\na\nb\na\n' | sort | uniq -c
seq 20000 | awk '{ s += $1 } END { print "sum", s, "lines", NR }'
seq 20000 | sha256sum
seq 1000 | md5sum
yes | head -n 3
yes tessera | head -c 100000 | wc -c
echo "a:b:c:d" | cut -d: -f2,4
seq 100 | grep -c 7
seq 30 | grep -E '^(1|2)5$'
seq 10 | tail -n 2 | tr '\n' ,
echo
echo "x=1 y=2" | sed -e 's/=/ is /g' -e 's/ y/, y/'
echo "three words here" | wc -w
printf 'AB\n' | od -An -tx1
seq 7 | xargs -n 3 echo args:
printf '%05d|%-4s|%x|%s\n' 42 ab 255 "$(echo nested $(echo deeper))"

section "redirections"
echo "to stderr" 1>&2
{ echo "out line"; echo "err line" >&2; } 2>&1 | sort
exec 3>&1
echo "through fd 3" >&3
err=$({ echo "stdout while capturing stderr"; echo "captured" >&2; } 2>&1 1>&3)
echo "stderr was: $err"
exec 3>&-
echo "via fd 4" 4>&1 1>&2 >&4
lines=$(printf 'one\ntwo\n' | while read -r w; do echo "[$w]"; done)
echo "$lines"
tr a-z A-Z <<EOF
here document, $((6 * 7))
EOF

section "loops and functions"
for w in alpha beta gamma; do
	printf '%s=%s ' "$w" "$(expr length "$w")"
done
echo
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	[ $i -eq 2 ] && continue
	[ $i -eq 4 ] && break
	echo "while: $i"
done
seq 3 | while read -r n; do echo "read: $n squared is $((n * n))"; done
fact() {
	if [ "$1" -le 1 ]; then echo 1; else echo $(($1 * $(fact $(($1 - 1))))); fi
}
echo "fact 10 = $(fact 10)"
set -- a b c d
shift
echo "args: $# ($*)"
case "tessera.c" in
*.h) echo "case: header" ;;
*.c) echo "case: source" ;;
esac
echo "expr: $(expr 6 \* 7) $(expr abcdef : 'ab\(.*\)') $(expr 10 % 4)"

section "statuses"
true; echo "true: $?"
false; echo "false: $?"
(exit 7); echo "subshell exit: $?"
! false && echo "negated false"
false || echo "or after false"
sh -c 'exit 9'; echo "sh -c: $?"

section "traps"
n=0
trap 'n=$((n + 1)); echo "trap: USR1 number $n"' USR1
kill -USR1 $$
kill -s USR1 $$
(kill -USR1 $$)
echo "after three: $n"
(sleep 0.2; kill -USR1 $$) &
p=$!
# A wait interrupted by the trapped signal returns >128; the job is still there.
wait $p
st=$?
[ $st -gt 128 ] && { wait $p; st=$?; }
echo "after a job's signal: $n, job status $st"
trap - USR1

section "jobs"
job() {
	sleep "$1"
	return "$2"
}
job 0.3 3 &
a=$!
job 0.1 5 &
b=$!
false &
c=$!
sleep 100 &
d=$!
wait $a; echo "job a: $?"
wait $b; echo "job b: $?"
wait $c; echo "job c: $?"
kill $d
# ash reports "Terminated" on stderr if this wait is what reaps the job: timing.
wait $d 2>/dev/null; echo "job d, killed: $?"
true & false & (exit 4) &
wait
echo "wait for all: $?"
sleep 0.1 && echo "slept"

exit 0
