"""The pictures of the synthetic KTH videos: an articulated stick figure doing one of the six KTH actions.

The figure (head, torso, two-segment arms and legs drawn with thick lines) is drawn in grey on 160x120 frames.

- Actions: boxing (side view, fists punch forward alternately), handclapping (front view, hands meet in front of
  the chest), handwaving (front view, both hands wave above the head), walking / jogging / running (side view,
  crossing the frame at increasing speed with growing leg and arm swing, leaving it and re-entering the other way).
- Persons: body height, limb thickness, head size and the grey levels of shirt, trousers and skin.
- Scenarios: d1 plain outdoor background; d2 the same scene with the camera zooming in and out (scale
  variation); d3 different clothes (the shirt's grey inverted and a coat down to the knees); d4 indoors, a darker
  textured wall and floor.

Everything is deterministic from the seed (``kth.synthetic.seed``) and the video's person, action and scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from drnet.params import KTH_ACTIONS

WIDTH, HEIGHT = 160, 120
GROUND = 108  # image row of the feet
# Locomotion: speed (px/frame at scale 1), step period (frames), leg and arm swing (rad), elbow bend, bounce, lean.
GAITS = {
    "walking": (1.8, 24, 0.45, 0.35, 0.3, 0.00, 0.00),
    "jogging": (3.2, 16, 0.65, 0.6, 1.3, 0.03, 0.10),
    "running": (5.0, 12, 0.85, 0.9, 1.6, 0.05, 0.22),
}


@dataclass(frozen=True)
class Appearance:
    """How one person looks: body height (px at scale 1), limb thickness, head radius and grey levels."""

    height: float
    limb: int
    head: int
    shirt: int
    trousers: int
    skin: int


def person_appearance(seed: int, person: int) -> Appearance:
    rng = np.random.default_rng([seed, person, 7])
    return Appearance(
        height=float(rng.uniform(62, 78)), limb=int(rng.integers(4, 8)), head=int(rng.integers(5, 8)),
        shirt=int(rng.choice([rng.integers(20, 90), rng.integers(215, 250)])), trousers=int(rng.integers(15, 110)),
        skin=int(rng.integers(110, 160)),
    )


def scenario_background(seed: int, scenario: str) -> np.ndarray:
    """The background of a scenario, uint8 [120, 160]."""
    rows = np.arange(HEIGHT, dtype=np.float32)[:, None]
    if scenario != "d4":
        sky = 185 - 0.15 * rows
        image = np.where(rows < GROUND - 14, sky, 160.0) + np.zeros((1, WIDTH), np.float32)
        return image.astype(np.uint8)
    rng = np.random.default_rng([seed, 4, 99])
    noise = cv2.resize(rng.normal(0, 14, (12, 16)).astype(np.float32), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    cols = np.arange(WIDTH, dtype=np.float32)[None, :]
    tiles = 10 * ((np.floor(cols / 20) + np.floor(rows / 15)) % 2)
    wall = 85 + tiles + noise
    floor = 60 + 8 * np.sin(cols / 3.0) + 0.5 * noise
    image = np.where(rows < GROUND - 14, wall, floor)
    return np.clip(image, 0, 255).astype(np.uint8)


def _limb(joint: np.ndarray, angle: float, length: float) -> np.ndarray:
    """End point of a segment from ``joint`` at ``angle`` (0 = straight down, positive = forward), y up."""
    return joint + length * np.array([math.sin(angle), -math.cos(angle)])


def _reach(shoulder: np.ndarray, target: np.ndarray, upper: float, lower: float, bend: float) -> np.ndarray:
    """Elbow position of a two-segment arm reaching for ``target`` (bend = +1/-1 picks the side of the elbow)."""
    delta = target - shoulder
    dist = float(np.clip(np.hypot(*delta), 1e-3, upper + lower - 1e-3))
    cos_a = np.clip((upper**2 + dist**2 - lower**2) / (2 * upper * dist), -1, 1)
    base = math.atan2(delta[1], delta[0])
    a = base + bend * math.acos(cos_a)
    return shoulder + upper * np.array([math.cos(a), math.sin(a)])


@dataclass
class _Pose:
    """Joint positions in body units (feet centre at the origin, y up, body height 1)."""

    hip: np.ndarray
    neck: np.ndarray
    head: np.ndarray
    arms: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (shoulder, elbow, hand); far limb first
    legs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (hip, knee, foot); far limb first


def _pose(action: str, t: float, rate: float) -> _Pose:
    """The figure's joints at frame ``t`` (``rate`` scales the action's tempo)."""
    hip, neck = np.array([0.0, 0.5]), np.array([0.0, 0.8])
    upper, lower, thigh, shin = 0.17, 0.16, 0.25, 0.25
    stance = [(hip, hip + [-0.07, -0.25], np.array([-0.08, 0.0])), (hip, hip + [0.07, -0.25], np.array([0.08, 0.0]))]
    if action in GAITS:
        _, period, leg_amp, arm_amp, elbow, bounce, lean = GAITS[action]
        phase = 2 * math.pi * t * rate / period
        lift = bounce * abs(math.sin(phase))
        hip = np.array([0.0, 0.5 + lift])
        neck = hip + _limb(np.zeros(2), math.pi - lean, 0.3)
        legs, arms = [], []
        for side in (1, -1):  # far leg/arm first
            swing = side * math.sin(phase)
            knee = _limb(hip, leg_amp * swing, thigh)
            foot = _limb(knee, leg_amp * swing - max(0.0, -math.cos(phase) * side) * 1.2 * leg_amp, shin)
            legs.append((hip, knee, foot))
            arm = -arm_amp * swing
            elbow_pt = _limb(neck, arm, upper)
            arms.append((neck, elbow_pt, _limb(elbow_pt, arm + elbow, lower)))
        return _Pose(hip, neck, neck + [0.02 + lean * 0.3, 0.1], arms, legs)
    if action == "boxing":
        arms = []
        for side in (0, 1):  # far fist, near fist: alternate punches
            punch = max(0.0, math.sin(2 * math.pi * t * rate / 14 + side * math.pi)) ** 2
            target = np.array([0.12 + 0.26 * punch, 0.76 + 0.03 * punch])
            shoulder = neck + [0.02 * (side * 2 - 1), 0.0]
            arms.append((shoulder, _reach(shoulder, target, upper, lower, -1.0), target))
        legs = [(hip, hip + [-0.06, -0.25], np.array([-0.1, 0.0])), (hip, hip + [0.08, -0.24], np.array([0.12, 0.0]))]
        return _Pose(hip, neck, neck + [0.03, 0.1], arms, legs)
    arms = []
    for side in (-1, 1):
        shoulder = neck + [0.07 * side, -0.01]
        if action == "handclapping":
            open_ = 0.5 * (1 + math.sin(2 * math.pi * t * rate / 12))
            target = np.array([side * (0.02 + 0.26 * open_), 0.6 + 0.04 * open_])
            bend = float(side)  # elbows out
        else:  # handwaving: both hands above the head, swinging left and right together
            sway = math.sin(2 * math.pi * t * rate / 16)
            target = np.array([side * 0.16 + 0.12 * sway, 1.1 - 0.03 * abs(sway)])
            bend = -float(side)
        arms.append((shoulder, _reach(shoulder, target, upper, lower, bend), target))
    return _Pose(hip, neck, neck + [0.0, 0.1], arms, stance)


def render_video(seed: int, person: int, action: str, scenario: str, frames: int) -> np.ndarray:
    """Draw one synthetic video: uint8 [T, 120, 160] grey frames."""
    look = person_appearance(seed, person)
    rng = np.random.default_rng([seed, person, KTH_ACTIONS.index(action), int(scenario[1:])])
    background = scenario_background(seed, scenario)
    coat = scenario == "d3"
    shirt = 255 - look.shirt if coat else look.shirt
    rate = float(rng.uniform(0.85, 1.15))
    t0 = float(rng.uniform(0, 50))
    direction = 1 if rng.random() < 0.5 else -1
    centre = float(rng.uniform(0.35, 0.65) * WIDTH)
    ground = GROUND + int(rng.integers(-3, 4))
    speed = GAITS[action][0] * float(rng.uniform(0.9, 1.1)) if action in GAITS else 0.0
    margin, pause, waiting = 30.0, int(rng.integers(3, 10)), 0
    zoom_phase = float(rng.uniform(0, 2 * math.pi))
    out = np.empty((frames, HEIGHT, WIDTH), np.uint8)
    for t in range(frames):
        scale = 1.0 + (0.25 * math.sin(2 * math.pi * t / 60 + zoom_phase) if scenario == "d2" else 0.0)
        if speed:
            if waiting:
                waiting -= 1
            else:
                centre += direction * speed
                if not -margin <= centre <= WIDTH + margin:
                    direction, waiting = -direction, pause
        pose = _pose(action, t0 + t, rate)
        frame = background.copy()
        zoom_x = WIDTH / 2 + (centre - WIDTH / 2) * scale
        _draw(frame, pose, look, shirt, coat, zoom_x, ground, look.height * scale, direction, scale)
        out[t] = frame
    return out


def _draw(frame: np.ndarray, pose: _Pose, look: Appearance, shirt: int, coat: bool, x0: float, y0: float,
          height: float, direction: int, scale: float) -> None:
    """Draw ``pose`` into ``frame`` (uint8 [120, 160]) in place; ``coat`` lengthens the torso to the knees."""

    def px(p: np.ndarray) -> tuple[int, int]:
        return int(round(x0 + direction * p[0] * height)), int(round(y0 - p[1] * height))

    limb = max(2, int(round(look.limb * scale)))
    shade = [lambda g: int(g * 0.75), lambda g: g]  # far limb darker
    for i, (a, b, c) in enumerate(pose.legs):
        tone = shade[i](look.trousers)
        cv2.line(frame, px(a), px(b), tone, limb, cv2.LINE_AA)
        cv2.line(frame, px(b), px(c), tone, limb, cv2.LINE_AA)
    (far_s, far_e, far_h), near = pose.arms[0], pose.arms[1:]
    cv2.line(frame, px(far_s), px(far_e), shade[0](shirt), limb, cv2.LINE_AA)
    cv2.line(frame, px(far_e), px(far_h), shade[0](shirt), limb, cv2.LINE_AA)
    hip, neck = px(pose.hip), px(pose.neck)
    centre = ((hip[0] + neck[0]) // 2, (hip[1] + neck[1]) // 2)
    length = max(2, int(math.dist(hip, neck) / 2) + limb // 2)
    angle = math.degrees(math.atan2(neck[0] - hip[0], hip[1] - neck[1]))
    cv2.ellipse(frame, centre, (max(2, int(limb * 1.2)), length), angle, 0, 360, shirt, -1, cv2.LINE_AA)
    if coat:
        knees = [px(knee) for _, knee, _ in pose.legs]
        hem = ((knees[0][0] + knees[1][0]) // 2, (knees[0][1] + knees[1][1]) // 2)
        cv2.line(frame, centre, hem, shirt, int(limb * 2.2), cv2.LINE_AA)
    for s, e, h in near:
        cv2.line(frame, px(s), px(e), shirt, limb, cv2.LINE_AA)
        cv2.line(frame, px(e), px(h), shirt, limb, cv2.LINE_AA)
        cv2.circle(frame, px(h), max(2, limb // 2 + 1), look.skin, -1, cv2.LINE_AA)
    head, radius = px(pose.head), max(3, int(round(look.head * scale)))
    cv2.circle(frame, head, radius, look.skin, -1, cv2.LINE_AA)
    cv2.ellipse(frame, head, (radius, radius), 0, 180, 360, int(look.trousers * 0.5), -1, cv2.LINE_AA)  # hair
