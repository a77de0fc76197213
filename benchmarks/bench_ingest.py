"""KTH ingest at real scale: decode KTH-length XviD AVIs (160x120, 25 fps) and write them to a store; project
the 599-video ingest.

Videos are rendered by the synthetic KTH source and written with ``write_avi`` (XVID; OpenCV falls back to MJPG
where it cannot write XVID, and the JSON says which codec was used). Decoding is ``drnet.data.kth.decode.decode_video``
(one decoder thread per video, grey, area-resized to 64 px), writing is ``VideoStoreWriter.add`` (gzip frames),
as ``build_kth`` does per video. Usage: python -m benchmarks.bench_ingest [--lengths 500,600,700]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import command, cores_owned, loadavg, machine, write, write_section

KTH_VIDEOS = 599


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="500,600,700", help="frames per test video (KTH: ~300-1000)")
    parser.add_argument("--codec", default="XVID")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="decoder threads to project with (default: "
                                                                   "the cores owned)")
    parser.add_argument("--out-dir", type=Path, default=None)
    parser.add_argument("--section", default="KTH ingest at real scale (benchmarks.bench_ingest)")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(argv)
    from drnet.data.kth.decode import decode_video
    from drnet.data.kth.figure import render_video
    from drnet.data.kth.synthetic import write_avi
    from drnet.data.store import VideoStoreWriter

    threads = args.threads or cores_owned()
    before = loadavg()
    videos = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, n in enumerate(int(v) for v in args.lengths.split(",")):
            path = Path(tmp) / f"person{i + 1:02d}_walking_d1_uncomp.avi"
            codec = write_avi(path, render_video(0, i + 1, "walking", "d1", n), args.codec)
            start = time.perf_counter()
            frames, declared = decode_video(path, args.image_size)
            decode = time.perf_counter() - start
            start = time.perf_counter()
            with VideoStoreWriter(Path(tmp) / f"s{i}.h5", dataset="kth", split="train", source="bench",
                                  synthetic=True, frame_shape=frames.shape[1:]) as w:
                w.add(frames)
            store = time.perf_counter() - start
            videos.append({"frames": len(frames), "declared": declared, "codec": codec,
                           "avi_mib": path.stat().st_size / 2**20, "decode_s": decode, "store_s": store})
            print(f"{len(frames)} frames ({codec}, {path.stat().st_size / 2**20:.1f} MiB): decode {decode:.2f} s "
                  f"({len(frames) / decode:.0f} frames/s), store write {store:.2f} s")
    frames = sum(v["frames"] for v in videos)
    decode_per_frame = sum(v["decode_s"] for v in videos) / frames
    store_per_frame = sum(v["store_s"] for v in videos) / frames
    mean_frames = frames / len(videos)
    # build_kth decodes on ``threads`` workers and writes in order on one: the slower of the two paces it
    projected = KTH_VIDEOS * mean_frames * max(decode_per_frame / threads, store_per_frame)
    serial = KTH_VIDEOS * mean_frames * (decode_per_frame + store_per_frame)
    after = loadavg()
    print(f"projected 599-video ingest ({mean_frames:.0f} frames each): {projected / 60:.1f} min on {threads} decoder "
          f"threads ({serial / 60:.1f} min serial)")
    result = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "loadavg_before": before, "loadavg_after": after, "videos": videos,
              "decode_ms_per_frame": 1000 * decode_per_frame, "store_ms_per_frame": 1000 * store_per_frame,
              "projected_599_s": projected, "projected_599_serial_s": serial, "threads": threads}
    path = write("ingest", result, args.out_dir)
    if args.section:
        m = machine()
        codecs = sorted({v["codec"] for v in videos})
        body = (f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {m['cpu_model']}; load average before {before}, "
                f"after {after}. Command: `{command()}`. JSON: `{path.name}`.\n\n"
                f"| videos | codec | decode | store write | projected 599 videos (x {mean_frames:.0f} frames) |\n"
                f"|---|---|---|---|---|\n"
                f"| {len(videos)} x {args.lengths} frames, 160x120 -> {args.image_size} px | {', '.join(codecs)} | "
                f"{1000 * decode_per_frame:.2f} ms/frame ({1 / decode_per_frame:.0f} frames/s) | "
                f"{1000 * store_per_frame:.2f} ms/frame | **{projected / 60:.1f} min** on {threads} decoder threads "
                f"({serial / 60:.1f} min serial) |")
        write_section(args.section, body, args.results)
    return result


if __name__ == "__main__":
    main()
