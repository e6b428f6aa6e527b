// Stands in for an inference runtime (a Python/CUDA server, an ONNX or llama.cpp binary):
// a separate process, which is where CUDA reads CUDA_VISIBLE_DEVICES. It reports what it sees.
const [model, batch] = process.argv.slice(2);
const visible = process.env.CUDA_VISIBLE_DEVICES ?? '';
// "Inference": a little CPU work so that tasks visibly overlap.
let acc = 0;
for (let i = 0; i < 2_000_000; i++) acc = (acc + i * 31) % 1_000_003;
process.stdout.write(JSON.stringify({ pid: process.pid, model, batch: Number(batch), visible, acc }) + '\n');
