import json
import re
import zipfile

import cv2
import numpy as np
import pytest

from drnet.data.kth.build import build_kth
from drnet.data.kth.decode import decode_video
from drnet.data.kth.figure import render_video
from drnet.data.kth.sequences import SEQUENCES_FILE, parse_sequences
from drnet.data.kth.synthetic import count_frames, write_avi, write_synthetic_kth
from drnet.data.store import VideoStore
from drnet.errors import DrnetError
from drnet.params import KTH_ACTIONS, KthData, KthSynthetic
from stages import kth_build, kth_synth

SEQUENCES = """\
Video sequences of the KTH actions dataset (prose header, as in the official file).
The subsequences are given as frame ranges: person01_boxing_d1 has four.

person01_boxing_d1\t\tframes\t1-95, 96-185, 186-245, 246-360
person01_boxing_d2 \t\tframes\t1-106, 107-195, 196-265
person01_walking_d1\tframes\t 200-250 ,1-80,  81-199

person02_handwaving_d4   \t frames\t1-10,11-20,21-30,31-40
"""
# The shape of the official file, line for line in kind (not its text): a ~20-line prose header that names
# persons in its own split, CRLF endings, two tabs / a single tab / one or four spaces before a tab, three or four
# ranges, ranges out of order, overlapping pairs, blank lines between persons, and the absent video as *missing*.
REAL_SHAPE_LINES = [
    "Sequences of the KTH human actions database, one line per video.",
    "",
    "Each line gives the name of a video, the word 'frames' and the frame ranges",
    "of its subsequences (first-last, counted from 1). A subsequence holds one",
    "repetition of the action, so most videos have four of them.",
    "",
    "The recordings were made in four scenarios:",
    "  d1 outdoors, d2 outdoors with scale variation,",
    "  d3 outdoors with different clothes, d4 indoors.",
    "",
    "Our own experiments divide the subjects as follows:",
    "Training:   person11, person12, person13, person14, person15, person16, person17, person18",
    "Validation: person19, person20, person21, person23, person24, person25, person01, person04",
    "Test:       person22, person02, person03, person05, person06, person07, person08, person09, person10",
    "",
    "person13 has one recording fewer than the others (see below).",
    "Questions about the database go to its maintainers.",
    "",
    "",
    "",
    "person01_boxing_d1\t\tframes\t1-95, 96-185, 186-245, 246-360",
    "person01_boxing_d2\t\tframes\t1-106, 107-195, 196-265, 266-329",
    "person01_boxing_d3 \t\tframes\t1-98, 99-192, 193-275, 276-360",
    "person01_boxing_d4    \tframes\t1-88, 89-180, 181-270, 271-370",
    "person01_walking_d1\tframes\t225-365, 266-500, 1-100",
    "person01_walking_d2\t\tframes\t120-230, 1-110, 240-350",
    "",
    "person13_handclapping_d2\t\tframes\t1-90, 91-180, 181-270, 271-350",
    "person13_handclapping_d3\t*missing*",
    "person13_handclapping_d4\t\tframes\t1-80,81-170,160-260, 261-330",
    "",
]
REAL_SHAPE = "\r\n".join(REAL_SHAPE_LINES) + "\r\n"
TINY = KthSynthetic(persons=3, scenarios=2, frames_per_video=24, seed=3)
TINY_DATA = KthData(source="synthetic", train_persons=[1, 2], test_persons=[3], min_length=4)


@pytest.fixture(scope="module")
def tiny_raw(tmp_path_factory):
    raw = tmp_path_factory.mktemp("kth") / "raw"
    write_synthetic_kth(raw, TINY, threads=2)
    return raw


def test_parse_sequences_by_meaning(tmp_path):
    (tmp_path / "seq.txt").write_text(SEQUENCES)
    videos = {v.name: v for v in parse_sequences(tmp_path / "seq.txt")}
    assert list(videos) == ["person01_boxing_d1", "person01_boxing_d2", "person01_walking_d1", "person02_handwaving_d4"]
    assert videos["person01_boxing_d1"].ranges == ((1, 95), (96, 185), (186, 245), (246, 360))
    assert videos["person01_boxing_d2"].ranges == ((1, 106), (107, 195), (196, 265))  # three ranges
    assert videos["person01_walking_d1"].ranges == ((1, 80), (81, 199), (200, 250))  # sorted into frame order
    v = videos["person02_handwaving_d4"]
    assert (v.person, v.action, v.scenario, v.filename) == (2, "handwaving", "d4", "person02_handwaving_d4_uncomp.avi")


@pytest.mark.parametrize("text, message", [
    ("", "lists no videos"),
    ("Just prose.\nNo video lines here.\n", "lists no videos"),
    ("person01_boxing_d1\t\tframes\t5-3, 6-9\n", "line 1: bad frame range '5-3'"),
    ("header\nperson01_boxing_d1\t\t1-95, 96-185\n", "line 2: expected '<video> frames a-b"),
    ("person01_boxing_d1\t\tframes\t\n", "line 1: expected '<video> frames a-b"),
    ("person01_boxing_d1\tframes\t1-9, x-y\n", "bad frame range 'x-y'"),
])
def test_bad_sequences_file_gives_one_line(tmp_path, text, message):
    (tmp_path / "seq.txt").write_text(text)
    with pytest.raises(DrnetError, match=message) as err:
        parse_sequences(tmp_path / "seq.txt")
    assert "\n" not in str(err.value) and "seq.txt" in str(err.value)


def test_parse_the_real_files_shape(tmp_path, caplog):
    (tmp_path / SEQUENCES_FILE).write_bytes(REAL_SHAPE.encode())
    with caplog.at_level("WARNING"):
        videos = {v.name: v for v in parse_sequences(tmp_path / SEQUENCES_FILE)}
    assert len(videos) == 9  # header lines naming persons are not videos
    missing = videos["person13_handclapping_d3"]
    assert missing.listed_missing and missing.ranges == ()
    assert videos["person01_walking_d1"].ranges == ((1, 100), (225, 365), (266, 500))  # overlap kept, sorted
    assert videos["person13_handclapping_d4"].ranges == ((1, 80), (81, 170), (160, 260), (261, 330))
    assert videos["person01_boxing_d4"].ranges[-1] == (271, 370)
    warnings = [r.getMessage() for r in caplog.records if "overlapping" in r.getMessage()]
    assert len(warnings) == 1 and "2 pair(s)" in warnings[0]  # warned once for the file, not per line


def test_synthetic_sequences_file_has_the_official_irregularities(tiny_raw, tmp_path, caplog):
    raw = (tiny_raw / SEQUENCES_FILE).read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF everywhere, like the official file
    lines = raw.decode().splitlines()
    assert sum(1 for line in lines if not line.startswith("person")) >= 20  # prose header + blank lines
    assert any(re.match(r"^\s*(Training|Test):.*person\d\d", line) for line in lines)  # header names persons
    assert any(re.search(r"_d\d \t", line) for line in lines)  # one space before the tabs
    assert any(re.search(r"_d\d    \t", line) for line in lines)  # four spaces
    assert any(re.search(r"_d\d\tframes", line) for line in lines)  # a single tab
    assert lines[lines.index(next(line for line in lines if line.startswith("person02"))) - 1] == ""  # blank line
    assert "person03_handclapping_d2\t*missing*" in lines  # the absent video, with no frames field
    with caplog.at_level("WARNING"):
        videos = parse_sequences(tiny_raw / SEQUENCES_FILE)
    assert len(videos) == TINY.persons * len(KTH_ACTIONS) * TINY.scenarios
    assert {len(v.ranges) for v in videos} == {0, 3, 4}
    assert any("overlapping" in r.getMessage() for r in caplog.records)
    assert any(a1 >= b0 for v in videos for (_, a1), (b0, _) in zip(v.ranges, v.ranges[1:]))
    data_lines = [line for line in lines if "frames" in line and line.startswith("person")]
    firsts = [int(line.split("frames")[1].split("-")[0]) for line in data_lines]
    assert any(f != 1 for f in firsts)  # some lines list their ranges out of order
    assert not (tiny_raw / "person03_handclapping_d2_uncomp.avi").exists()  # listed, absent (like the real file)
    manifest = json.loads((tiny_raw / "manifest.json").read_text())
    assert manifest["truncated_videos"] == ["person01_boxing_d2"] and set(manifest["codecs"]) == {"MJPG", "XVID"}


def test_truncated_video_is_cut_with_a_warning_and_never_read_as_garbage(tiny_raw, tmp_path, caplog):
    decoded, declared = count_frames(tiny_raw / "person01_boxing_d2_uncomp.avi")
    assert declared == TINY.frames_per_video and 0 < decoded < declared  # header still declares every frame
    with caplog.at_level("WARNING"):
        summary = build_kth(tiny_raw, tmp_path / "train.h5", tmp_path / "test.h5", TINY_DATA)
    kept = decoded - 1  # the frame at the cut may be half-drawn
    assert summary["truncated_videos"] == {"person01_boxing_d2": [kept, declared]}
    assert any("person01_boxing_d2" in r.getMessage() and "truncated" in r.getMessage() for r in caplog.records)
    store = VideoStore(tmp_path / "train.h5")
    rows = np.flatnonzero(store.meta("video") == "person01_boxing_d2")
    assert len(rows)
    truth = render_video(TINY.seed, 1, "boxing", "d2", TINY.frames_per_video)
    video = {v.name: v for v in parse_sequences(tiny_raw / SEQUENCES_FILE)}["person01_boxing_d2"]
    for row in rows:
        first, last = video.ranges[store.meta("subsequence")[row]]
        assert first + store.length[row] - 1 == min(last, kept)  # cut at the decodable end
        frames = store.frames(int(row))[..., 0].astype(int)
        expected = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_AREA)
                             for f in truth[first - 1:first - 1 + len(frames)]])
        assert np.abs(frames - expected).mean() < 6  # real content up to the end, no concealment garbage


@pytest.mark.parametrize("codec", ["MJPG", "XVID"])
@pytest.mark.parametrize("size", [64, 128])
def test_avi_round_trip_decode_and_resize(tmp_path, size, codec):
    frames = render_video(0, 1, "boxing", "d4", 30)
    assert frames.shape == (30, 120, 160) and frames.dtype == np.uint8
    assert write_avi(tmp_path / "v.avi", frames, codec) == codec  # this OpenCV writes XviD (MPEG-4 part 2)
    decoded, declared = decode_video(tmp_path / "v.avi", size)
    assert decoded.shape == (30, size, size, 1) and decoded.dtype == np.uint8 and declared == 30
    expected = cv2.resize(frames[7], (size, size), interpolation=cv2.INTER_AREA)
    assert np.abs(decoded[7, ..., 0].astype(int) - expected).mean() < 4  # lossy but close


def test_synthetic_to_ingest_round_trip(tiny_raw, tmp_path):
    summary = build_kth(tiny_raw, tmp_path / "train.h5", tmp_path / "test.h5", TINY_DATA, threads=2)
    assert summary["missing_videos"] == ["person03_handclapping_d2"] and summary["videos"] == 35
    train, test = VideoStore(tmp_path / "train.h5"), VideoStore(tmp_path / "test.h5")
    assert set(train.meta("person")) == {1, 2} and set(test.meta("person")) == {3}
    for store in (train, test):
        assert store.synthetic and store.attrs["source"] == "synthetic" and store.frame_shape == (64, 64, 1)
        assert set(store.meta("action")) == set(KTH_ACTIONS) and set(store.meta("scenario")) == {"d1", "d2"}
        assert store.length.min() >= TINY_DATA.min_length
        assert "00sequences.txt" in store.attrs["raw_checksums"]
    videos = {v.name: v for v in parse_sequences(tiny_raw / SEQUENCES_FILE)}
    names, subs = train.meta("video"), train.meta("subsequence")
    first, last = videos[names[0]].ranges[subs[0]]
    assert train.length[0] == last - first + 1
    assert list(names) == sorted(names)  # written in sorted order whatever the thread count
    build_kth(tiny_raw, tmp_path / "train1.h5", tmp_path / "test1.h5", TINY_DATA, threads=1)
    assert VideoStore(tmp_path / "train1.h5").attrs["frames_sha256"] == train.attrs["frames_sha256"]


def test_zipped_videos_ingest_like_extracted_ones(tiny_raw, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / SEQUENCES_FILE).write_bytes((tiny_raw / SEQUENCES_FILE).read_bytes())
    (raw / "manifest.json").write_text('{"synthetic": true}')
    for action in KTH_ACTIONS:
        with zipfile.ZipFile(raw / f"{action}.zip", "w") as archive:
            for avi in sorted(tiny_raw.glob(f"*_{action}_*.avi")):
                archive.write(avi, avi.name)
    build_kth(raw, tmp_path / "train.h5", tmp_path / "test.h5", TINY_DATA)
    build_kth(tiny_raw, tmp_path / "train_x.h5", tmp_path / "test_x.h5", TINY_DATA)
    zipped, extracted = VideoStore(tmp_path / "test.h5"), VideoStore(tmp_path / "test_x.h5")
    assert zipped.attrs["frames_sha256"] == extracted.attrs["frames_sha256"]
    assert "walking.zip" in zipped.attrs["raw_checksums"]


@pytest.mark.parametrize("damage", ["header-only", "junk"])
def test_corrupt_avi_gives_one_line_naming_the_file(tiny_raw, tmp_path, damage):
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in tiny_raw.iterdir():
        (raw / path.name).write_bytes(path.read_bytes())
    bad = raw / "person02_running_d1_uncomp.avi"
    data = bad.read_bytes()
    bad.write_bytes(data[:600] if damage == "header-only" else bytes(range(256)) * 20)
    with pytest.raises(DrnetError, match="person02_running_d1_uncomp.avi") as err:
        build_kth(raw, tmp_path / "out" / "train.h5", tmp_path / "out" / "test.h5", TINY_DATA, threads=2)
    assert "\n" not in str(err.value)
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written


def test_split_and_source_mismatches_are_refused(tiny_raw, tmp_path):
    with pytest.raises(DrnetError, match="no videos of the test persons \\[9\\]"):
        build_kth(tiny_raw, tmp_path / "a.h5", tmp_path / "b.h5", TINY_DATA.model_copy(update={"test_persons": [9]}))
    with pytest.raises(DrnetError, match="kth.data.source is 'official' but"):
        build_kth(tiny_raw, tmp_path / "a.h5", tmp_path / "b.h5", TINY_DATA.model_copy(update={"source": "official"}))
    with pytest.raises(DrnetError, match="lower kth.data.min_length"):
        build_kth(tiny_raw, tmp_path / "a.h5", tmp_path / "b.h5", TINY_DATA.model_copy(update={"min_length": 24}))
    assert not list(tmp_path.glob("*.h5"))


def test_stage_commands(repo_root, tmp_path, capsys):
    sizes = ["--set", "kth.synthetic.persons=2", "--set", "kth.synthetic.scenarios=1", "--set",
             "kth.synthetic.frames_per_video=20", "--set", "kth.data.train_persons=[1]", "--set",
             "kth.data.test_persons=[2]", "--set", "kth.data.min_length=3"]
    common = ["--params", str(repo_root / "params.yaml"), "--variant", "demo", *sizes]
    raw = tmp_path / "raw"
    assert kth_synth.main([*common, "--out", str(raw)]) == 0
    outs = ["--train-out", str(tmp_path / "train.h5"), "--test-out", str(tmp_path / "test.h5")]
    assert kth_build.main([*common, "--raw", str(raw), *outs, "--summary-out", str(tmp_path / "s.json"),
                            "--threads", "2"]) == 0
    assert VideoStore(tmp_path / "test.h5").synthetic
    capsys.readouterr()
    assert kth_build.main([*common, "--raw", str(tmp_path / "nope"), *outs]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "nope not found" in err[-1]
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "keep.txt").write_text("mine")
    assert kth_synth.main([*common, "--out", str(tmp_path / "precious")]) == 2
    assert (tmp_path / "precious" / "keep.txt").exists()


def _limited(limit: int):
    """preexec_fn: writes beyond ``limit`` bytes fail with EFBIG, as on a full disk (SIGXFSZ ignored)."""
    import resource
    import signal

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _run_stage(repo_root, argv, limit):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", *argv], cwd=repo_root, capture_output=True, text=True,
                          preexec_fn=_limited(limit))
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower() or "Traceback" in line]
    return proc, errors


def test_kth_synth_on_a_full_disk_fails_in_one_line_instead_of_writing_truncated_avis(repo_root, tmp_path):
    out = tmp_path / "raw"
    sizes = ["--set", "kth.synthetic.persons=2", "--set", "kth.synthetic.scenarios=1", "--set",
             "kth.synthetic.frames_per_video=20"]
    proc, errors = _run_stage(repo_root, ["stages.kth_synth", "--variant", "demo", *sizes, "--out", str(out)], 12_000)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(errors) == 1 and "out of disk space" in errors[0], proc.stderr[-2000:]
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no folder that looks complete, no debris


def test_kth_build_on_a_full_disk_never_leaves_a_mixed_old_new_pair(tiny_raw, repo_root, tmp_path):
    sets = ["--set", "kth.data.source=synthetic", "--set", "kth.data.train_persons=[1,2]", "--set",
            "kth.data.test_persons=[3]", "--set", "kth.data.min_length=4"]
    build_kth(tiny_raw, tmp_path / "a.h5", tmp_path / "b.h5", TINY_DATA)
    train_size, test_size = (tmp_path / "a.h5").stat().st_size, (tmp_path / "b.h5").stat().st_size
    assert test_size < train_size
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.h5").write_text("old train")
    (out / "test.h5").write_text("old test")
    argv = ["stages.kth_build", "--variant", "demo", *sets, "--raw", str(tiny_raw), "--train-out",
            str(out / "train.h5"), "--test-out", str(out / "test.h5")]
    proc, errors = _run_stage(repo_root, argv, (train_size + test_size) // 2)  # test.h5 fits, train.h5 does not
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(errors) == 1 and "out of disk space" in errors[0], proc.stderr[-2000:]
    assert (out / "train.h5").read_text() == "old train" and (out / "test.h5").read_text() == "old test"
    assert sorted(p.name for p in out.iterdir()) == ["test.h5", "train.h5"]


def test_full_disk_while_extracting_is_not_called_a_corrupt_zip(tiny_raw, tmp_path):
    import errno

    from drnet.data.kth.videos import VideoSource, extract_member

    with zipfile.ZipFile(tmp_path / "boxing.zip", "w") as archive:
        archive.write(tiny_raw / "person01_boxing_d1_uncomp.avi", "person01_boxing_d1_uncomp.avi")

    class FullDisk:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as err:
        extract_member(VideoSource(tmp_path / "boxing.zip", "person01_boxing_d1_uncomp.avi"), FullDisk())
    assert err.value.errno == errno.ENOSPC and not isinstance(err.value, DrnetError)


@pytest.mark.parametrize("bomb", ["ratio", "size"])
def test_zip_members_too_large_are_refused_from_the_header(tiny_raw, tmp_path, monkeypatch, bomb):
    from drnet.data.kth import videos

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / SEQUENCES_FILE).write_bytes((tiny_raw / SEQUENCES_FILE).read_bytes())
    (raw / "manifest.json").write_text('{"synthetic": true}')
    for action in KTH_ACTIONS:
        with zipfile.ZipFile(raw / f"{action}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for avi in sorted(tiny_raw.glob(f"*_{action}_*.avi")):
                archive.write(avi, avi.name)
    with zipfile.ZipFile(raw / "boxing.zip", "a", zipfile.ZIP_DEFLATED) as archive:
        if bomb == "ratio":  # 8 MiB of zeros in ~8 KB: written to disk it would be 1000x the zip's share
            archive.writestr("extra.bin", bytes(8 << 20))
        else:
            monkeypatch.setattr(videos, "MAX_MEMBER_BYTES", 1 << 20)
            archive.writestr("extra.bin", np.random.default_rng(0).bytes(2 << 20))
    assert (raw / "boxing.zip").stat().st_size < 3 << 20
    with pytest.raises(DrnetError, match="extra.bin (expands|declares)") as err:
        build_kth(raw, tmp_path / "out" / "train.h5", tmp_path / "out" / "test.h5", TINY_DATA)
    assert "\n" not in str(err.value)
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(DrnetError, match="extra.bin (expands|declares)"):
        videos.check_zip(raw / "boxing.zip", remove=False)


def test_a_store_failing_at_its_final_flush_takes_the_other_store_with_it(tiny_raw, tmp_path, monkeypatch):
    import errno

    from drnet.data.kth import build
    from drnet.data.store import VideoStoreWriter

    class FlushFailsForTrain(VideoStoreWriter):
        def close(self):
            if "train" in self.path.name:  # test.h5 has been finished by now (closed in reverse order)
                self.abort()
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().close()

    (tmp_path / "train.h5").write_text("old train")
    (tmp_path / "test.h5").write_text("old test")
    monkeypatch.setattr(build, "VideoStoreWriter", FlushFailsForTrain)
    with pytest.raises(OSError):
        build_kth(tiny_raw, tmp_path / "train.h5", tmp_path / "test.h5", TINY_DATA)
    assert (tmp_path / "train.h5").read_text() == "old train" and (tmp_path / "test.h5").read_text() == "old test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.h5", "train.h5"]


def test_a_codec_this_opencv_cannot_write_falls_back_to_mjpg_with_a_note(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        assert write_avi(tmp_path / "v.avi", render_video(0, 1, "walking", "d1", 5), "ZZZZ") == "MJPG"
    assert any("cannot write ZZZZ" in r.getMessage() for r in caplog.records)
    assert count_frames(tmp_path / "v.avi") == (5, 5)


def test_a_video_listed_again_and_again_is_warned_about_once_with_a_count(tmp_path, caplog):
    line = "person01_boxing_d1\t\tframes\t1-95, 90-185\n"
    (tmp_path / "seq.txt").write_text(line * 200_000)
    with caplog.at_level("WARNING"):
        videos = parse_sequences(tmp_path / "seq.txt")
    assert [v.name for v in videos] == ["person01_boxing_d1"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and all(len(m) < 500 for m in messages)
    assert "lists 199999 video line(s) again" in messages[0] and "and 199994 more" in messages[0]
    assert "1 pair(s) of overlapping ranges" in messages[1]


def test_a_byte_order_mark_or_another_case_drops_no_video(tmp_path):
    from drnet.data.kth.videos import extracted_videos

    text = ("\ufeffperson01_boxing_d1\t\tframes\t1-95\nPerson02_Boxing_D1\tFRAMES\t1-50\n"
            "PERSON03_WALKING_d2 frames 1-9\n")
    (tmp_path / "seq.txt").write_text(text, encoding="utf-8")
    videos = parse_sequences(tmp_path / "seq.txt")
    assert [(v.name, v.ranges) for v in videos] == [("person01_boxing_d1", ((1, 95),)),
                                                    ("person02_boxing_d1", ((1, 50),)),
                                                    ("person03_walking_d2", ((1, 9),))]
    (tmp_path / "raw" / "boxing").mkdir(parents=True)
    (tmp_path / "raw" / "boxing" / "Person02_Boxing_d1_uncomp.AVI").write_bytes(b"x")
    (tmp_path / "raw" / "boxing" / "person01_boxing_d1_uncomp.avi").write_bytes(b"x")
    assert {k: v.name for k, v in extracted_videos(tmp_path / "raw").items()} == {
        "person01_boxing_d1": "person01_boxing_d1_uncomp.avi", "person02_boxing_d1": "Person02_Boxing_d1_uncomp.AVI"}
