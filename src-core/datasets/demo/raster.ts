// A tiny float raster for the demo generators: soft shapes, smooth noise, blur, and PNG output.
import sharp from 'sharp'

/** A single-channel float image, values nominally in [0, 1]. */
export class Raster {
  readonly data: Float32Array
  constructor(
    readonly w: number,
    readonly h: number,
    fill = 0,
  ) {
    this.data = new Float32Array(w * h).fill(fill)
  }

  /** Adds `value * mask` where mask is a soft ellipse (edge width `soft` in pixels). */
  ellipse(cx: number, cy: number, rx: number, ry: number, value: number, soft = 1.5, angle = 0, mode: 'add' | 'set' = 'add'): void {
    const r = Math.max(rx, ry) + soft * 2
    const c = Math.cos(angle)
    const s = Math.sin(angle)
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(this.h, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(this.w, Math.ceil(cx + r)); x++) {
        const dx = x - cx
        const dy = y - cy
        const u = (dx * c + dy * s) / rx
        const v = (-dx * s + dy * c) / ry
        const d = (Math.sqrt(u * u + v * v) - 1) * Math.min(rx, ry)
        const m = 1 / (1 + Math.exp(d / Math.max(0.3, soft / 2)))
        if (m < 0.004) continue
        const i = y * this.w + x
        this.data[i] = mode === 'add' ? this.data[i]! + value * m : this.data[i]! * (1 - m) + value * m
      }
    }
  }

  /** Adds `value * exp(-d^2 / 2 sigma^2)`. */
  blob(cx: number, cy: number, sx: number, sy: number, value: number): void {
    const rx = sx * 3
    const ry = sy * 3
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(this.h, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(this.w, Math.ceil(cx + rx)); x++) {
        const g = Math.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2) / 2)
        this.data[y * this.w + x]! += value * g
      }
    }
  }

  /** Applies f(x, y, value) to every pixel. */
  map(f: (x: number, y: number, v: number) => number): void {
    for (let y = 0; y < this.h; y++) for (let x = 0; x < this.w; x++) this.data[y * this.w + x] = f(x, y, this.data[y * this.w + x]!)
  }

  /** Scales each row horizontally about column `cx` by `factor(y)` (> 1 widens), bilinear along the row. */
  warpRows(cx: number, factor: (y: number) => number): void {
    const row = new Float32Array(this.w)
    for (let y = 0; y < this.h; y++) {
      const f = factor(y)
      const line = this.data.subarray(y * this.w, (y + 1) * this.w)
      for (let x = 0; x < this.w; x++) {
        const sx = Math.min(this.w - 1, Math.max(0, cx + (x - cx) / f))
        const i = Math.floor(sx)
        const t = sx - i
        row[x] = line[i]! * (1 - t) + line[Math.min(this.w - 1, i + 1)]! * t
      }
      line.set(row)
    }
  }

  /** Rotates in place by `angle` (radians, clockwise on screen) about (cx, cy), bilinear; what
   *  comes from outside the raster is `fill`. */
  rotate(cx: number, cy: number, angle: number, fill = 0): void {
    const src = this.data.slice()
    const c = Math.cos(angle)
    const s = Math.sin(angle)
    const at = (x: number, y: number) => (x < 0 || y < 0 || x >= this.w || y >= this.h ? fill : src[y * this.w + x]!)
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        const dx = x - cx
        const dy = y - cy
        const sx = cx + dx * c + dy * s
        const sy = cy - dx * s + dy * c
        const x0 = Math.floor(sx)
        const y0 = Math.floor(sy)
        const tx = sx - x0
        const ty = sy - y0
        this.data[y * this.w + x] = (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty) + (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty
      }
    }
  }

  /** Mirrors left-right in place. */
  flipX(): void {
    for (let y = 0; y < this.h; y++) this.data.subarray(y * this.w, (y + 1) * this.w).reverse()
  }

  /** Box blur, `passes` times (three passes approximate a Gaussian). */
  blur(radius: number, passes = 2): void {
    if (radius < 1) return
    const tmp = new Float32Array(this.data.length)
    for (let p = 0; p < passes; p++) {
      boxLine(this.data, tmp, this.w, this.h, radius, true)
      boxLine(tmp, this.data, this.w, this.h, radius, false)
    }
  }

  /** 8-bit PNG (grey). */
  png(): Promise<Buffer> {
    return sharp(toU8(this.data), { raw: { width: this.w, height: this.h, channels: 1 } }).png({ compressionLevel: 4 }).toBuffer()
  }
}

function boxLine(src: Float32Array, dst: Float32Array, w: number, h: number, r: number, horizontal: boolean): void {
  const n = horizontal ? w : h
  const lines = horizontal ? h : w
  for (let l = 0; l < lines; l++) {
    const at = (k: number) => (horizontal ? l * w + Math.min(n - 1, Math.max(0, k)) : Math.min(n - 1, Math.max(0, k)) * w + l)
    let sum = 0
    for (let k = -r; k <= r; k++) sum += src[at(k)]!
    for (let k = 0; k < n; k++) {
      dst[at(k)] = sum / (2 * r + 1)
      sum += src[at(k + r + 1)]! - src[at(k - r)]!
    }
  }
}

/** Smooth value noise in [0,1]: a random grid of `cells` cells, bilinearly interpolated (smoothstep). */
export function valueNoise(w: number, h: number, cells: number, rand: () => number): Float32Array {
  const g = cells + 2
  const grid = Float32Array.from({ length: g * g }, () => rand())
  const out = new Float32Array(w * h)
  for (let y = 0; y < h; y++) {
    const fy = (y / h) * cells
    const iy = Math.floor(fy)
    const ty = fy - iy
    const sy = ty * ty * (3 - 2 * ty)
    for (let x = 0; x < w; x++) {
      const fx = (x / w) * cells
      const ix = Math.floor(fx)
      const tx = fx - ix
      const sx = tx * tx * (3 - 2 * tx)
      const a = grid[iy * g + ix]!
      const b = grid[iy * g + ix + 1]!
      const c = grid[(iy + 1) * g + ix]!
      const d = grid[(iy + 1) * g + ix + 1]!
      out[y * w + x] = (a * (1 - sx) + b * sx) * (1 - sy) + (c * (1 - sx) + d * sx) * sy
    }
  }
  return out
}

/** Sum of octaves of value noise, normalised to about [0,1]. */
export function fractalNoise(w: number, h: number, base: number, octaves: number, rand: () => number): Float32Array {
  const out = new Float32Array(w * h)
  let amp = 1
  let total = 0
  for (let o = 0; o < octaves; o++) {
    const n = valueNoise(w, h, base << o, rand)
    for (let i = 0; i < out.length; i++) out[i]! += n[i]! * amp
    total += amp
    amp /= 2
  }
  for (let i = 0; i < out.length; i++) out[i]! /= total
  return out
}

/** Clamps to [0,1] and scales to bytes. */
export function toU8(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, v[i]!)) * 255)
  return out
}

/** Seed for image `index` of generator `name`, so images can be made in any order. */
export function imageSeed(name: string, index: number, seed: number): number {
  let h = 2166136261 ^ seed
  for (const c of `${name}:${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619)
  return h >>> 0
}

/** Runs `task(i)` for i in [0, n) with at most `limit` at once. */
export async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) await task(next++)
  }))
}
