#!/bin/sh
# A stand-in for prometeu-packer: validates and packs build/ into a runnable cartridge root.
set -e
case "$1" in
    validate)
        echo "[INFO] validating build/"
        [ -f build/program.pbx ] || { echo "[ERROR] build/program.pbx is missing: run the build step" >&2; exit 1; }
        sleep 0.1
        echo "[INFO] program.pbx: $(wc -c < build/program.pbx | tr -d ' ') bytes, header ok"
        echo "[INFO] no assets declared"
        ;;
    pack)
        echo "[INFO] packing cartridge into build/"
        sleep 0.1
        printf 'PA01' > build/assets.pa
        echo "[INFO] packed: program.pbx, assets.pa"
        ;;
    *)
        echo "[ERROR] unknown command: $1" >&2
        exit 2
        ;;
esac
