# Asks the CUDA driver (libcuda, which honours CUDA_VISIBLE_DEVICES) which GPUs this process sees.
import ctypes, json, os, sys
out = {"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES")}
try:
    cuda = ctypes.CDLL("libcuda.so.1")
    rc = cuda.cuInit(0)
    if rc != 0:
        out["error"] = f"cuInit returned {rc}"
    else:
        n = ctypes.c_int()
        cuda.cuDeviceGetCount(ctypes.byref(n))
        uuids = []
        for i in range(n.value):
            dev = ctypes.c_int()
            cuda.cuDeviceGet(ctypes.byref(dev), i)
            raw = (ctypes.c_ubyte * 16)()
            cuda.cuDeviceGetUuid(raw, dev)
            h = bytes(raw).hex()
            uuids.append(f"GPU-{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}")
        out["count"] = n.value
        out["uuids"] = uuids
except OSError as e:
    out["error"] = f"libcuda not loadable: {e}"
print(json.dumps(out))
