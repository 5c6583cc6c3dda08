#!/usr/bin/env bash
# Instructions per MAC of the portable kernels on an emulated Cortex-M4
# (qemu-system-arm -M mps2-an386 -icount shift=7,sleep=off), plain C path
# (-DEDGEC_NO_DSP) vs the DSP path, plus kernel code sizes at -Os.
# Usage: bash test/bench/kernels/run.sh   (npm run bench:kernels)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rt="$root/runtime-c"
m4="$root/test/runtime-c/m4"
for tool in arm-none-eabi-gcc qemu-system-arm; do
  command -v "$tool" >/dev/null || { echo "bench:kernels: $tool not installed" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cpu=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
kernels=("$rt/edgec_conv_s8.c" "$rt/edgec_depthwise_conv_s8.c" "$rt/edgec_fully_connected_s8.c")
opt="${BENCH_OPT:--O2}"

build() { # name extra-flags...
  local name="$1"; shift
  arm-none-eabi-gcc -std=c99 "${cpu[@]}" "$opt" "$@" -ffunction-sections -fdata-sections -Wl,--gc-sections \
    -nostartfiles --specs=rdimon.specs -T "$m4/m4.ld" -I "$rt" "$m4/startup.c" "$here/bench_kernels.c" \
    "${kernels[@]}" -o "$work/$name.elf"
}
run() {
  timeout 300 qemu-system-arm -M mps2-an386 -icount shift=7,sleep=off -semihosting-config enable=on,target=native \
    -nographic -monitor none -serial none -kernel "$work/$1.elf"
}

build c -DEDGEC_NO_DSP
build dsp
run c >"$work/c.txt"
run dsp >"$work/dsp.txt"
grep -q "BENCH DONE" "$work/c.txt" && grep -q "BENCH DONE" "$work/dsp.txt"

echo "Cortex-M4 (mps2-an386, -icount shift=7), arm-none-eabi-gcc $opt: instructions per MAC"
printf '%-28s %10s %12s %12s %12s %8s\n' kernel MACs "C instr" "DSP instr" "C instr/MAC" "DSP i/M"
paste -d'|' <(grep macs "$work/c.txt") <(grep macs "$work/dsp.txt") | while IFS='|' read -r a b; do
  name="${a%% macs*}"
  macs=$(sed -E 's/.* macs +([0-9]+).*/\1/' <<<"$a")
  ci=$(sed -E 's/.* instr +([0-9]+).*/\1/' <<<"$a")
  di=$(sed -E 's/.* instr +([0-9]+).*/\1/' <<<"$b")
  awk -v n="$name" -v m="$macs" -v c="$ci" -v d="$di" \
    'BEGIN { printf "%-28s %10d %12d %12d %12.3f %8.3f\n", n, m, c, d, c / m, d / m }'
done

echo
echo "Kernel code size (text bytes, arm-none-eabi-gcc -Os, cortex-m4):"
for k in "${kernels[@]}"; do
  arm-none-eabi-gcc -std=c99 "${cpu[@]}" -Os -I "$rt" -DEDGEC_NO_DSP -c "$k" -o "$work/k_c.o"
  arm-none-eabi-gcc -std=c99 "${cpu[@]}" -Os -I "$rt" -c "$k" -o "$work/k_d.o"
  printf '  %-32s C %6d  DSP %6d\n' "$(basename "$k")" \
    "$(arm-none-eabi-size "$work/k_c.o" | awk 'NR==2{print $1}')" "$(arm-none-eabi-size "$work/k_d.o" | awk 'NR==2{print $1}')"
done
