#!/bin/sh
# gen.sh regenerates the embedded IVR prompts from prompts.txt (id|English|Spanish):
# espeak-ng speaks each text, sox band-limits it to telephone range, normalises it to
# -3 dBFS (leading and trailing silence trimmed, so one-word prompts such as digits are
# mostly speech) and writes raw G.711 μ-law, 8 kHz, mono to data/<id>.<lang>.ulaw.
#
# Requires the Debian packages espeak-ng and sox:
#   apt-get install -y espeak-ng sox
# Run from anywhere: ./media/prompts/gen.sh. Commit the data/ directory it writes.
set -eu
cd "$(dirname "$0")"
command -v espeak-ng >/dev/null || { echo "gen.sh: espeak-ng not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "gen.sh: sox not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf data.new
mkdir data.new
grep -v '^#' prompts.txt | grep -v '^[[:space:]]*$' | while IFS='|' read -r id en es; do
	for pair in "en:en-us:$en" "es:es-419:$es"; do
		lang=${pair%%:*}
		rest=${pair#*:}
		voice=${rest%%:*}
		text=${rest#*:}
		espeak-ng -v "$voice" -s 150 -w "$tmp/$id.$lang.wav" -- "$text"
		sox "$tmp/$id.$lang.wav" -r 8000 -c 1 -e u-law -b 8 -t raw "data.new/$id.$lang.ulaw" \
			gain -6 highpass 300 lowpass 3400 silence 1 0.01 1% reverse silence 1 0.01 1% reverse gain -n -3 pad 0 0.2
	done
done
rm -rf data
mv data.new data
du -sh data
