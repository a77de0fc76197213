"""Downloads against a loopback HTTP server (Range requests, truncated transfers) and the KTH fetch stage."""

import hashlib
import json
import zipfile

import pytest

from drnet.data.download import RemoteFile, download
from drnet.data.kth.download import KTH_TERMS, fetch_kth
from drnet.data.kth.synthetic import write_synthetic_kth
from drnet.errors import DrnetError
from drnet.params import KTH_ACTIONS, Download, KthSynthetic

PAYLOAD = bytes(range(256)) * 400  # 100 KiB


@pytest.fixture
def server(http_server):
    http_server.files["f.bin"] = PAYLOAD
    return http_server


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_download_verifies_and_skips_existing(server, tmp_path):
    path, digest = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, backoff=0)
    assert path.read_bytes() == PAYLOAD and digest == _sha(PAYLOAD)
    assert not (tmp_path / "f.bin.part").exists()
    download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, backoff=0)
    assert len(server.requests) == 1  # present with the right checksum: no second request


def test_download_resumes_a_part_file(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30000])
    path, _ = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("f.bin", "bytes=30000-")]


def test_truncated_transfer_is_resumed(server, tmp_path):
    server.truncate_once.add("f.bin")
    path, _ = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, retries=2, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests == [("f.bin", None), ("f.bin", f"bytes={len(PAYLOAD) // 2}-")]


def test_wrong_checksum_leaves_nothing(server, tmp_path):
    with pytest.raises(DrnetError, match="failed its sha256 check") as err:
        download(RemoteFile("f.bin", "sha256:" + "0" * 64), [server.url], tmp_path, backoff=0)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_mirror_fallback_and_unreachable(server, tmp_path):
    path, _ = download(RemoteFile("f.bin"), [server.url + "missing/", server.url], tmp_path, retries=0, backoff=0)
    assert path.read_bytes() == PAYLOAD
    with pytest.raises(DrnetError, match="could not download nope.bin from any of 1 mirror"):
        download(RemoteFile("nope.bin"), [server.url], tmp_path / "x", retries=0, backoff=0)


@pytest.fixture(scope="module")
def kth_files(tmp_path_factory):
    """The official KTH layout in bytes (zips of synthetic AVIs + sequences file), served by the loopback server."""
    raw = tmp_path_factory.mktemp("synth") / "raw"
    write_synthetic_kth(raw, KthSynthetic(persons=2, scenarios=2, frames_per_video=20), threads=2)
    files = {"00sequences.txt": (raw / "00sequences.txt").read_bytes()}
    for action in KTH_ACTIONS:
        zip_path = raw / f"{action}.zip"
        with zipfile.ZipFile(zip_path, "w") as archive:
            for avi in sorted(raw.glob(f"*_{action}_*.avi")):
                archive.write(avi, avi.name)
        files[zip_path.name] = zip_path.read_bytes()
    return raw, files


def test_fetch_kth_downloads_checks_and_records(server, kth_files, tmp_path, capsys):
    _, files = kth_files
    server.files = files
    cfg = Download(mirrors=[server.url], retries=1, timeout_s=10)
    manifest = fetch_kth(tmp_path / "kth", cfg, backoff=0)
    assert capsys.readouterr().err.count(KTH_TERMS) == 1  # terms shown once, before the first download
    assert manifest["files"] == {name: _sha(data) for name, data in files.items()}
    assert manifest["missing_videos"] == ["person02_handclapping_d2"]
    assert json.loads((tmp_path / "kth" / "manifest.json").read_text()) == manifest
    server.shutdown()  # everything is in place now: a second run needs no network and shows no terms
    assert fetch_kth(tmp_path / "kth", cfg, backoff=0)["files"] == manifest["files"]
    assert KTH_TERMS not in capsys.readouterr().err


def test_fetch_kth_uses_extracted_avis_without_network(kth_files, tmp_path, capsys):
    raw, _ = kth_files
    dest = tmp_path / "kth"
    (dest / "videos").mkdir(parents=True)
    (dest / "00sequences.txt").write_bytes((raw / "00sequences.txt").read_bytes())
    for avi in raw.glob("*.avi"):
        (dest / "videos" / avi.name).write_bytes(avi.read_bytes())
    cfg = Download(mirrors=["http://127.0.0.1:9/"], retries=0, timeout_s=1)
    manifest = fetch_kth(dest, cfg, backoff=0)
    assert "videos/person01_boxing_d1_uncomp.avi" in manifest["files"] and manifest["available_videos"] == 23
    assert KTH_TERMS not in capsys.readouterr().err


def test_fetch_kth_refuses_a_corrupt_zip(server, kth_files, tmp_path):
    _, files = kth_files
    broken = bytearray(files["boxing.zip"])
    broken[200:400] = bytes(200)
    server.files = {**files, "boxing.zip": bytes(broken)}
    with pytest.raises(DrnetError, match="boxing.zip is not a valid zip archive .* it was removed") as err:
        fetch_kth(tmp_path / "kth", Download(mirrors=[server.url], retries=0, timeout_s=10), backoff=0)
    assert "\n" not in str(err.value) and not (tmp_path / "kth" / "boxing.zip").exists()


def test_kth_download_stage_writes_only_below_data(server, kth_files, repo_root, tmp_path, monkeypatch, capsys):
    from stages import kth_download

    server.files = kth_files[1]
    monkeypatch.chdir(tmp_path)
    common = ["--params", str(repo_root / "params.yaml"), "--set", f"kth.download.mirrors=['{server.url}']"]
    assert kth_download.main([*common, "--out", str(tmp_path / "elsewhere")]) == 2
    assert "outside" in capsys.readouterr().err and not (tmp_path / "elsewhere").exists()
    assert kth_download.main([*common, "--out", "data/raw/kth"]) == 0
    manifest = json.loads((tmp_path / "data/raw/kth/manifest.json").read_text())
    assert set(manifest["files"]) == {"00sequences.txt", *(f"{a}.zip" for a in KTH_ACTIONS)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("mode", ["206-whole", "206-lying"])
def test_206_with_the_whole_body_is_not_spliced_onto_the_part(server, tmp_path, mode):
    server.misbehave["f.bin"] = mode
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30000])
    path, _ = download(RemoteFile("f.bin"), [server.url], tmp_path, retries=1, backoff=0)  # no checksum to save us
    assert path.read_bytes() == PAYLOAD
    assert server.requests[-1] == ("f.bin", None)  # the part was discarded and the whole file asked for again


def test_cut_chunked_transfer_is_resumed(server, tmp_path):
    server.misbehave["f.bin"] = "chunked-cut-once"
    path, _ = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, retries=2, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests[0] == ("f.bin", None) and server.requests[1][1].startswith("bytes=")


def test_cut_chunked_transfer_everywhere_is_one_line_and_leaves_no_complete_looking_file(server, tmp_path):
    server.files["b/f.bin"] = PAYLOAD
    server.misbehave.update({"f.bin": "chunked-cut", "b/f.bin": "chunked-cut"})
    with pytest.raises(DrnetError, match=r"could not download f.bin from any of 2 mirror.*IncompleteRead") as err:
        download(RemoteFile("f.bin"), [server.url, server.url + "b/"], tmp_path, retries=1, backoff=0)
    assert "\n" not in str(err.value)
    assert {name for name, _ in server.requests} == {"f.bin", "b/f.bin"}  # retried, then the next mirror
    assert not (tmp_path / "f.bin").exists()
    assert (tmp_path / "f.bin.part").stat().st_size < len(PAYLOAD)  # only the .part name, and it is partial


def test_a_planted_symlink_part_is_not_followed(server, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "dl"
    dest.mkdir()
    (dest / "f.bin.part").symlink_to(victim)
    with pytest.raises(DrnetError, match="is a symbolic link") as err:
        download(RemoteFile("f.bin"), [server.url], dest, retries=0, backoff=0)
    assert "\n" not in str(err.value) and victim.read_text() == "precious"


def test_a_fresh_file_failing_its_format_check_is_removed(server, tmp_path):
    def never(path):
        raise DrnetError(f"{path} is not what we want")

    with pytest.raises(DrnetError, match="fails its format check and was removed"):
        download(RemoteFile("f.bin"), [server.url], tmp_path, retries=0, backoff=0, validate=never)
    assert list(tmp_path.iterdir()) == []


def test_fetch_kth_does_not_keep_a_sequences_file_that_does_not_parse(server, kth_files, tmp_path):
    _, files = kth_files
    server.files = {**files, "00sequences.txt": b"<html>mirror moved</html>"}
    cfg = Download(mirrors=[server.url], retries=0, timeout_s=10)
    with pytest.raises(DrnetError, match="00sequences.txt fails its format check and was removed"):
        fetch_kth(tmp_path / "kth", cfg, backoff=0)
    assert not (tmp_path / "kth" / "00sequences.txt").exists()
    server.files = files  # the next run downloads it again instead of reusing the bad one forever
    assert fetch_kth(tmp_path / "kth", cfg, backoff=0)["files"]["00sequences.txt"] == _sha(files["00sequences.txt"])


def test_users_file_with_another_checksum_is_refused_not_deleted(server, tmp_path):
    (tmp_path / "f.bin").write_bytes(b"my own file")
    with pytest.raises(DrnetError, match="failed its sha256 check .* left in place") as err:
        download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, backoff=0)
    assert "\n" not in str(err.value) and (tmp_path / "f.bin").read_bytes() == b"my own file"
    assert server.requests == []


def test_local_folder_is_copied_and_verified_instead_of_downloaded(server, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "f.bin").write_bytes(PAYLOAD)
    path, digest = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path / "raw", local_dir=local)
    assert path.read_bytes() == PAYLOAD and digest == _sha(PAYLOAD) and server.requests == []
    assert (local / "f.bin").exists()
    (local / "g.bin").write_bytes(b"not it")
    with pytest.raises(DrnetError, match="your copy .*g.bin failed its sha256 check.* left untouched") as err:
        download(RemoteFile("g.bin", _sha(PAYLOAD)), [server.url], tmp_path / "raw", local_dir=local)
    assert "\n" not in str(err.value) and (local / "g.bin").read_bytes() == b"not it"
    assert not (tmp_path / "raw" / "g.bin").exists() and server.requests == []


def test_kth_download_from_a_local_folder_needs_no_network(kth_files, repo_root, tmp_path, monkeypatch, capsys):
    from stages import kth_download

    _, files = kth_files
    monkeypatch.chdir(tmp_path)
    local = tmp_path / "mine"
    local.mkdir()
    for name, data in files.items():
        (local / name).write_bytes(data)
    argv = ["--params", str(repo_root / "params.yaml"), "--set", "kth.download.mirrors=['http://127.0.0.1:9/']",
            "--set", "kth.download.retries=0", "--from", str(local)]
    assert kth_download.main(argv) == 0
    manifest = json.loads((tmp_path / "data/raw/kth/manifest.json").read_text())
    assert manifest["files"] == {name: _sha(data) for name, data in files.items()}
    assert all((local / name).read_bytes() == data for name, data in files.items())  # the user's files untouched
    assert KTH_TERMS not in capsys.readouterr().err  # nothing fetched from the dataset's site


def test_kth_download_copies_extracted_local_avis(kth_files, tmp_path):
    raw, files = kth_files
    local = tmp_path / "mine"
    (local / "videos").mkdir(parents=True)
    (local / "00sequences.txt").write_bytes(files["00sequences.txt"])
    avis = sorted(raw.glob("*.avi"))
    for avi in avis:
        (local / "videos" / avi.name).write_bytes(avi.read_bytes())
    cfg = Download(mirrors=["http://127.0.0.1:9/"], retries=0, timeout_s=1)
    manifest = fetch_kth(tmp_path / "kth", cfg, backoff=0, local_dir=local)
    assert sorted(manifest["files"]) == sorted(["00sequences.txt", *(f"videos/{a.name}" for a in avis)])
    assert all((tmp_path / "kth" / "videos" / a.name).read_bytes() == a.read_bytes() for a in avis)
    assert sorted(p.name for p in (local / "videos").iterdir()) == sorted(a.name for a in avis)


def test_a_complete_part_is_finished_and_an_overlong_one_restarted(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)  # killed after the transfer, before the rename
    path, _ = download(RemoteFile("f.bin", _sha(PAYLOAD)), [server.url], tmp_path, retries=0, backoff=0)
    assert path.read_bytes() == PAYLOAD and server.requests == [("f.bin", f"bytes={len(PAYLOAD)}-")]
    other = tmp_path / "other"
    other.mkdir()
    (other / "f.bin.part").write_bytes(PAYLOAD + b"junk from another file")  # 416: the server's file is shorter
    path, _ = download(RemoteFile("f.bin"), [server.url], other, retries=0, backoff=0)  # no checksum to save us
    assert path.read_bytes() == PAYLOAD
