#!/usr/bin/env bash
# Packs what test/gpu/gpu-check.mjs needs into .devcheck/ (git-ignored) for a GPU machine that
# has no Node: an xz-compressed node binary, the built packages and piscina. Then, on that
# machine: `bash .devcheck/run.sh` (writes gpu-check.json to $OUT or the temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx turbo run build >/dev/null
rm -rf .devcheck && mkdir -p .devcheck/app/node_modules/@taskfit
for p in core piscina-adapter; do
  mkdir -p ".devcheck/app/node_modules/@taskfit/$p"
  cp -r "packages/$p/package.json" "packages/$p/dist" ".devcheck/app/node_modules/@taskfit/$p/"
done
cp -r node_modules/piscina .devcheck/app/node_modules/
cp test/gpu/gpu-check.mjs test/gpu/tasks.mjs test/gpu/cuda_probe.py .devcheck/app/
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .devcheck/node.xz
cat > .devcheck/run.sh <<'RUN'
#!/usr/bin/env bash
set -u
cd "$(dirname "$0")/app"
xz -dc ../node.xz > /tmp/node && chmod +x /tmp/node
echo "node $(/tmp/node --version); $(python3 --version 2>&1)"; nvidia-smi -L
timeout 240 /tmp/node gpu-check.mjs
RUN
chmod +x .devcheck/run.sh
du -sh .devcheck
