"""A tiny feature network, trained in about a second, whose perceptual distance ranks a
one-pixel shift as closer than a blur, where pixel MSE ranks them the other way.

The images are 16 x 16 binary stripes (period 3 to 5 pixels, random phase) in four
orientations (15, 60, 105, 150 degrees: none parallel to the shift, which would leave it
unchanged); the network (three 3x3 convolutions with ReLU and 2x2 average pooling, 8 and 16
channels) learns to tell the orientation, trained with cross-entropy in float64 on one thread.
Because it saw every phase, a shift does not change what it sees; a blur erases the stripes it
looks for. An untrained network of the same shape ranks like the pixels: the ranking is learned.

Run ``python -m tests.perceptual_experiment`` for the table over ten seeds;
tests/test_perceptual.py runs two seeds and asserts the rankings.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lossbook import feature_loss, mse_loss

SIZE = 16
ANGLES = np.deg2rad([15.0, 60.0, 105.0, 150.0])  # none along an axis: a shift always moves them


def scenes(rng: np.random.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` stripe scenes of (SIZE + 2)^2 pixels (a border to crop and shift) and their class."""
    yy, xx = np.mgrid[0 : SIZE + 2, 0 : SIZE + 2].astype(np.float64)
    labels = rng.integers(0, 4, size=n)
    period = rng.uniform(3.0, 5.0, size=n)[:, None, None]
    phase = rng.uniform(0.0, 1.0, size=n)[:, None, None]
    a = ANGLES[labels][:, None, None]
    u = (np.cos(a) * xx + np.sin(a) * yy) / period + phase
    return torch.from_numpy(((u % 1.0) < 0.5).astype(np.float64)[:, None]), torch.from_numpy(labels)


def crop(scene: torch.Tensor, dx: int = 0) -> torch.Tensor:
    """The SIZE^2 image, with the scene moved ``dx`` pixels to the right."""
    return scene[..., 1 : 1 + SIZE, 1 - dx : 1 - dx + SIZE]


def blur(scene: torch.Tensor) -> torch.Tensor:
    """The binomial 3x3 blur ([1, 2, 1] / 4 in each direction), on the scene (no padding)."""
    k = torch.tensor([1.0, 2.0, 1.0], dtype=scene.dtype)
    k = (k[:, None] * k[None, :]) / 16
    return F.pad(F.conv2d(scene, k[None, None]), (1, 1, 1, 1))


class StripeNet(nn.Module):
    """conv 3x3 (8) - ReLU - avgpool 2 - conv 3x3 (16) - ReLU - avgpool 2 - conv 3x3 (16) -
    ReLU - global mean - linear (4). ``features`` returns the last two ReLU outputs, (N, 16, 8,
    8) and (N, 16, 4, 4): the layers the perceptual distance compares."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 4)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        f1 = F.relu(self.conv1(x))
        f2 = F.relu(self.conv2(F.avg_pool2d(f1, 2)))
        f3 = F.relu(self.conv3(F.avg_pool2d(f2, 2)))
        return [f2, f3]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x)[-1].mean(dim=(2, 3)))


def train(seed: int, steps: int = 100, batch: int = 32) -> StripeNet:
    """Adam (lr 0.01) on cross-entropy, ``steps`` batches from 512 training scenes."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = StripeNet().double()
    scene, labels = scenes(rng, 512)
    x = crop(scene)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):
        idx = torch.from_numpy(rng.integers(0, 512, size=batch))
        loss = F.cross_entropy(net(x[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return net


def evaluation_images(n: int = 200) -> dict[str, torch.Tensor]:
    """Test images and their three distortions: a one-pixel shift, a blur, Gaussian noise of
    standard deviation 0.27 (about the blur's pixel MSE)."""
    scene, labels = scenes(np.random.default_rng(12345), n)
    x = crop(scene)
    noise = torch.from_numpy(np.random.default_rng(7).normal(0.0, 0.27, size=tuple(x.shape)))
    return {"original": x, "labels": labels, "shift": crop(scene, 1), "blur": crop(blur(scene)),
            "noise": x + noise}


def distances(net: StripeNet | None, images: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per-image distance of each distortion to the original: pixel MSE (``net=None``) or
    ``feature_loss`` of the network's features."""
    x = images["original"]
    out = {}
    with torch.no_grad():
        for kind in ("shift", "blur", "noise"):
            y = images[kind]
            if net is None:
                out[kind] = mse_loss(x, y, reduction="none").mean(dim=(1, 2, 3))
            else:
                out[kind] = feature_loss(net.features(x), net.features(y), reduction="none")
    return out


def main(seeds: range = range(10)) -> None:
    torch.set_num_threads(1)
    images = evaluation_images()
    pixel = distances(None, images)
    farther = float((pixel["shift"] > pixel["blur"]).double().mean())
    print("pixel MSE  " + "  ".join(f"{k} {float(v.mean()):.4f}" for k, v in pixel.items())
          + f"  shift farther than blur in {farther:.2f} of the images")
    for trained in (False, True):
        rows = []
        for seed in seeds:
            if trained:
                net = train(seed)
            else:
                torch.manual_seed(seed)
                net = StripeNet().double()
            with torch.no_grad():
                accuracy = float((net(images["original"]).argmax(1) == images["labels"]).double()
                                 .mean())
            d = distances(net, images)
            closer = float((d["shift"] < d["blur"]).double().mean())
            rows.append((accuracy, *(float(d[k].mean()) for k in ("shift", "blur", "noise")),
                         closer))
        r = np.array(rows)
        print(f"{'trained' if trained else 'untrained':<9} accuracy {r[:, 0].min():.2f}-"
              f"{r[:, 0].max():.2f}  shift {r[:, 1].min():.4g}-{r[:, 1].max():.4g}  blur "
              f"{r[:, 2].min():.4g}-{r[:, 2].max():.4g}  noise {r[:, 3].min():.4g}-"
              f"{r[:, 3].max():.4g}  shift closer than blur in {r[:, 4].min():.2f}-"
              f"{r[:, 4].max():.2f} of the images")


if __name__ == "__main__":
    main()
