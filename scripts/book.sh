#!/usr/bin/env bash
# Builds the documentation site (an mdBook, docs/book.toml) into target/book, failing on any
# warning: the chapters of docs/, the directive pages made from the directives crate
# (`mod-python-config reference`), and the code samples, which must all be included from
# files of examples/ (or packaging/) that the test suite serves. Installs mdbook (crates.io)
# when missing.
#   scripts/book.sh            then open target/book/index.html
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
MDBOOK_VERSION=0.5.4
if ! mdbook --version 2>/dev/null | grep -q "v$MDBOOK_VERSION"; then
    echo "==> Installing mdbook $MDBOOK_VERSION"
    cargo install mdbook --locked --version "$MDBOOK_VERSION" --quiet
fi
cargo build -q -p directives --bin mod-python-config

stage=target/book-stage
rm -rf "$stage" target/book
mkdir -p "$stage"
cp -r docs "$stage/docs"
ln -s ../../examples "$stage/examples"
ln -s ../../packaging "$stage/packaging"
pages=$(target/debug/mod-python-config reference "$stage/docs/directives" ../../examples/directives)
python3 - "$stage/docs/SUMMARY.md" "$pages" <<'PY'
import sys
path, pages = sys.argv[1], sys.argv[2]
text = open(path).read()
marker = "<!-- directive pages -->"
if marker not in text:
    sys.exit("SUMMARY.md lost its directive-pages marker")
open(path, "w").write(text.replace(marker, pages.rstrip("\n")))
PY

# Every code sample comes from a tested example; every local link leads somewhere.
python3 - "$stage/docs" <<'PY'
import os, re, sys
root = sys.argv[1]
samples = {"python", "apache", "html", "psp", "py"}
problems = []
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".md"):
            continue
        path = os.path.join(dirpath, name)
        rel = os.path.relpath(path, root)
        lines = open(path).read().split("\n")
        i = 0
        while i < len(lines):
            m = re.match(r"^```(\w*)", lines[i])
            if m:
                j = i + 1
                while j < len(lines) and not lines[j].startswith("```"):
                    j += 1
                body = [l for l in lines[i + 1:j] if l.strip()]
                if m.group(1) in samples:
                    for l in body:
                        inc = re.fullmatch(r"\{\{#include ([^}:]+)(:[\w-]+)?\}\}", l.strip())
                        if not inc:
                            problems.append(f"{rel}:{i + 1}: a {m.group(1)} sample written inline: include it from examples/")
                            break
                        target = os.path.normpath(os.path.join(dirpath, inc.group(1)))
                        real = os.path.realpath(target)
                        if not os.path.isfile(real):
                            problems.append(f"{rel}:{i + 1}: {inc.group(1)} does not exist")
                        elif "/examples/" not in real and "/packaging/" not in real:
                            problems.append(f"{rel}:{i + 1}: {inc.group(1)} is not under examples/ or packaging/")
                        elif inc.group(2):
                            anchor = inc.group(2)[1:]
                            if f"ANCHOR: {anchor}" not in open(real).read():
                                problems.append(f"{rel}:{i + 1}: no anchor {anchor} in {inc.group(1)}")
                i = j + 1
                continue
            for link in re.findall(r"\]\(([^)#\s]+\.md)(#[^)]*)?\)", lines[i]):
                if "://" in link[0]:
                    continue
                if not os.path.isfile(os.path.normpath(os.path.join(dirpath, link[0]))):
                    problems.append(f"{rel}:{i + 1}: link to missing {link[0]}")
            i += 1
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY

echo "==> mdbook build"
log=$(mdbook build "$stage/docs" -d "$PWD/target/book" 2>&1) || { echo "$log"; exit 1; }
if echo "$log" | grep -E "WARN|ERROR|warning|error" >/dev/null; then
    echo "$log"
    echo "mdbook reported problems (warnings are errors here)"
    exit 1
fi
echo "book: target/book/index.html ($(find target/book -name '*.html' | wc -l) pages)"
