# busybox_files.sh DIR: busybox's file applets in the empty directory DIR, for
# `busybox sh -s DIR` on a vNode and on the host, whose outputs must match. No
# times, inode numbers or owners are printed; sizes and names are.
set -e
cd "$1"
mkdir -p a/b/c
echo hello > a/b/c/f1
seq 1000 > a/n
cp a/n a/b/n2
mv a/b/n2 a/b/c/n3
ln -s ../n a/b/link
cat a/b/link | tail -n 2
readlink a/b/link
ls a a/b a/b/c
ls -la a/b/c | awk '{ print $1, $5, $NF }'
find a | sort
wc -l < a/b/c/n3
echo appended >> a/b/c/f1
cat a/b/c/f1
tar cf t.tar a
mkdir x
cd x
tar xf ../t.tar
find . -type f | sort | xargs sha256sum
cd ..
gzip -c a/n > n.gz
gunzip -c n.gz | sha256sum
seq 100000 | sort -r > big.txt
sort -n big.txt | sha256sum
head -c 3000000 big.txt | md5sum
dd if=big.txt of=copy.txt bs=4096 2> /dev/null
cmp big.txt copy.txt && echo "dd copy same"
rm -r a x
rmdir nonexistent 2> /dev/null || echo "rmdir nonexistent failed"
ls
