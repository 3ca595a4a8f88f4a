"""Model definitions. Small, CPU-friendly, export cleanly to ONNX opset 17."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k=3, s=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DWSep(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 (MobileNet block), residual when shapes allow."""

    def __init__(self, cin, cout, s=1):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, s, groups=cin)
        self.pw = conv_bn(cin, cout, 1)
        self.res = s == 1 and cin == cout

    def forward(self, x):
        y = self.pw(self.dw(x))
        return x + y if self.res else y


class UIDetector(nn.Module):
    """Anchor-free, two levels (stride 8 and 16), FCOS/YOLOv8-style: per cell l,t,r,b distances and nc sigmoid
    scores. forward() returns the Ultralytics YOLOv8 export layout [B, 4+nc, N] (cx, cy, w, h in input px)."""

    def __init__(self, nc=1, width=(16, 32, 64, 128, 160), fpn=64, p2=False):
        super().__init__()
        self.p2 = p2
        c1, c2, c3, c4, c5 = width
        self.nc = nc
        self.stem = conv_bn(3, c1, 3, 2)                       # /2
        self.s2 = nn.Sequential(DWSep(c1, c2, 2), DWSep(c2, c2))  # /4
        self.s3 = nn.Sequential(DWSep(c2, c3, 2), DWSep(c3, c3), DWSep(c3, c3))  # /8
        self.s4 = nn.Sequential(DWSep(c3, c4, 2), DWSep(c4, c4), DWSep(c4, c4))  # /16
        self.s5 = nn.Sequential(DWSep(c4, c5, 2), DWSep(c5, c5))  # /32
        self.l3 = conv_bn(c3, fpn, 1)
        self.l4 = conv_bn(c4, fpn, 1)
        self.l5 = conv_bn(c5, fpn, 1)
        self.l2 = conv_bn(c2, fpn, 1)
        self.down2 = conv_bn(fpn, fpn, 3, 2, groups=fpn)
        self.f4 = DWSep(fpn, fpn)
        self.f3 = nn.Sequential(DWSep(fpn, fpn), DWSep(fpn, fpn))
        self.heads = nn.ModuleList()
        head_ch = [fpn, fpn]
        if p2:
            # stride-4 level for tiny controls (checkboxes/radios are 4-7 px at 640 on a 1920-px screen)
            p2c = 32
            self.p2_lat = conv_bn(c2, p2c, 1)
            self.p2_red = conv_bn(fpn, p2c, 1)
            self.f2 = DWSep(p2c, p2c)
            head_ch = [p2c] + head_ch
        for ch in head_ch:
            self.heads.append(nn.ModuleDict({
                'stem': DWSep(ch, ch),
                'box': nn.Conv2d(ch, 4, 1),
                'cls': nn.Conv2d(ch, nc, 1),
            }))
        for h in self.heads:
            nn.init.constant_(h['cls'].bias, -4.6)  # prior 0.01
            nn.init.constant_(h['box'].bias, 0.0)
        self.strides = (4, 8, 16) if p2 else (8, 16)

    def features(self, x):
        x2 = self.s2(self.stem(x))
        x3 = self.s3(x2)
        x4 = self.s4(x3)
        x5 = self.s5(x4)
        p5 = self.l5(x5)
        p4 = self.f4(self.l4(x4) + F.interpolate(p5, scale_factor=2.0, mode='nearest'))
        p3 = self.f3(self.l3(x3) + F.interpolate(p4, scale_factor=2.0, mode='nearest') + self.down2(self.l2(x2)))
        if self.p2:
            p2 = self.f2(self.p2_lat(x2) + F.interpolate(self.p2_red(p3), scale_factor=2.0, mode='nearest'))
            return [p2, p3, p4]
        return [p3, p4]

    def raw(self, x):
        """Per level (ltrb raw [B,4,H,W], cls logits [B,nc,H,W])."""
        outs = []
        for f, h in zip(self.features(x), self.heads):
            t = h['stem'](f)
            outs.append((h['box'](t), h['cls'](t)))
        return outs

    def forward(self, x):
        res = []
        for (box, cls), s in zip(self.raw(x), self.strides):
            b, _, hh, ww = box.shape
            ys = (torch.arange(hh, dtype=x.dtype) + 0.5) * s
            xs = (torch.arange(ww, dtype=x.dtype) + 0.5) * s
            gy = ys.view(1, hh, 1).expand(1, hh, ww)
            gx = xs.view(1, 1, ww).expand(1, hh, ww)
            d = F.softplus(box) * s
            x1 = gx - d[:, 0]
            y1 = gy - d[:, 1]
            x2 = gx + d[:, 2]
            y2 = gy + d[:, 3]
            out = torch.cat([((x1 + x2) / 2).unsqueeze(1), ((y1 + y2) / 2).unsqueeze(1), (x2 - x1).unsqueeze(1),
                             (y2 - y1).unsqueeze(1), torch.sigmoid(cls)], 1)
            res.append(out.flatten(2))
        return torch.cat(res, 2)


class CropNet(nn.Module):
    """64x64 crop encoder shared by the classifier (softmax head) and the similarity model (L2 embedding)."""

    def __init__(self, out_dim, mode='classifier'):
        super().__init__()
        self.mode = mode
        self.body = nn.Sequential(
            conv_bn(3, 24, 3, 2),            # 32x32
            DWSep(24, 48),
            conv_bn(48, 64, 3, 2),           # 16x16
            DWSep(64, 96),
            conv_bn(96, 128, 3, 2),          # 8x8
            DWSep(128, 160), DWSep(160, 160),
            conv_bn(160, 192, 3, 2),         # 4x4
        )
        c4 = 192
        self.fc = nn.Linear(c4 * 2, out_dim)

    def embed_features(self, x):
        f = self.body(x)
        return torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)

    def forward(self, x):
        y = self.fc(self.embed_features(x))
        if self.mode == 'classifier':
            return torch.softmax(y, 1)
        if self.mode == 'logits':
            return y
        return F.normalize(y, dim=1, eps=1e-6)


class MultiViewCropNet(CropNet):
    """CropNet over V crop views of one element (docs/MODELS.md "Crop rule", preprocess.crop.views): input
    [B, 3·V, 64, 64], view k in channels 3k..3k+2. The SAME trunk (one set of weights) encodes every view; the head
    sees the V pooled feature vectors side by side ([B, V·384], view 0's first). init_from_shipped copies the shipped
    head into view 0's columns and zeroes the others, so the model starts as the shipped one on view 0."""

    FEATURES = 192 * 2

    def __init__(self, out_dim, views, mode='classifier'):
        super().__init__(out_dim, mode)
        if not 2 <= views <= 4:
            raise ValueError(f'MultiViewCropNet: {views} views (2..4)')
        self.views = views
        self.fc = nn.Linear(self.FEATURES * views, out_dim)

    def embed_features(self, x):
        v, s = self.views, x.shape[-1]
        # [B, 3V, S, S] -> [V·B, 3, S, S] (view-major), one trunk pass, then [B, V·F] with view k's features at k·F
        xs = x.reshape(-1, v, 3, s, s).transpose(0, 1).reshape(-1, 3, s, s)
        f = super().embed_features(xs)
        return f.reshape(v, -1, self.FEATURES).transpose(0, 1).reshape(-1, v * self.FEATURES)
