//! Pictures for the demo newsroom, drawn by the program and saved as JPEG.
//!
//! Each scene is described in fractions of the frame, so every size of one
//! picture (original and renditions) shows the same thing. The alt text of a
//! scene describes what is actually drawn.

use crate::rng::Rng;

/// An RGB colour.
#[derive(Debug, Clone, Copy)]
struct Rgb(u8, u8, u8);

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas { w, h, px: vec![0; w * h * 3] }
    }

    fn set(&mut self, x: usize, y: usize, c: Rgb) {
        let i = (y * self.w + x) * 3;
        self.px[i] = c.0;
        self.px[i + 1] = c.1;
        self.px[i + 2] = c.2;
    }

    fn gradient(&mut self, top: Rgb, bottom: Rgb, y0: f64, y1: f64) {
        let (a, b) = (self.py(y0), self.py(y1));
        for y in a..b {
            let t = (y - a) as f64 / (b - a).max(1) as f64;
            let c = mix(top, bottom, t);
            for x in 0..self.w {
                self.set(x, y, c);
            }
        }
    }

    fn px_(&self, f: f64) -> usize {
        ((f * self.w as f64).round().max(0.0) as usize).min(self.w)
    }

    fn py(&self, f: f64) -> usize {
        ((f * self.h as f64).round().max(0.0) as usize).min(self.h)
    }

    /// Fills the rectangle between fractional corners.
    fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, c: Rgb) {
        let (ax, bx, ay, by) = (self.px_(x0), self.px_(x1), self.py(y0), self.py(y1));
        for y in ay..by {
            for x in ax..bx {
                self.set(x, y, c);
            }
        }
    }

    /// Fills an ellipse centred at (cx, cy) with radii as fractions of the
    /// frame's height (so circles stay round).
    fn ellipse(&mut self, cx: f64, cy: f64, rx: f64, ry: f64, c: Rgb) {
        let (w, h) = (self.w as f64, self.h as f64);
        let (cxp, cyp, rxp, ryp) = (cx * w, cy * h, rx * h, ry * h);
        let (x0, x1) = ((cxp - rxp).max(0.0) as usize, ((cxp + rxp) as usize + 1).min(self.w));
        let (y0, y1) = ((cyp - ryp).max(0.0) as usize, ((cyp + ryp) as usize + 1).min(self.h));
        for y in y0..y1 {
            for x in x0..x1 {
                let dx = (x as f64 + 0.5 - cxp) / rxp;
                let dy = (y as f64 + 0.5 - cyp) / ryp;
                if dx * dx + dy * dy <= 1.0 {
                    self.set(x, y, c);
                }
            }
        }
    }

    /// Fills everything below the curve `y = f(x)` (fractions) down to `y1`.
    fn below(&mut self, f: impl Fn(f64) -> f64, y1: f64, c: Rgb) {
        let bottom = self.py(y1);
        for x in 0..self.w {
            let top = self.py(f(x as f64 / self.w as f64));
            for y in top..bottom {
                self.set(x, y, c);
            }
        }
    }

    /// A seated or standing figure: head and shoulders.
    fn figure(&mut self, cx: f64, base: f64, size: f64, c: Rgb) {
        self.ellipse(cx, base - size * 1.6, size * 0.45, size * 0.5, c);
        let half = size * 0.75 * self.h as f64 / self.w as f64;
        self.rect(cx - half, base - size * 1.05, cx + half, base, c);
        self.ellipse(cx, base - size * 1.0, size * 0.75, size * 0.3, c);
    }

    fn jpeg(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, 82);
        enc.encode(&self.px, self.w as u16, self.h as u16, jpeg_encoder::ColorType::Rgb)?;
        Ok(out)
    }
}

fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let l = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    Rgb(l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

/// The kinds of picture the demo draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// Tower blocks against the sky.
    Skyline,
    /// Two delegations at a long table.
    Negotiation,
    /// A columned courthouse.
    Courthouse,
    /// A stadium pitch and stands.
    Stadium,
    /// A speaker at a lectern.
    Lectern,
    /// A chart over an office tower.
    Markets,
    /// A river between hills.
    Landscape,
    /// A theatre stage.
    Theatre,
    /// A head-and-shoulders portrait silhouette.
    Portrait,
}

/// One drawn picture: its scene, its palette and its alt text.
#[derive(Debug, Clone)]
pub struct Picture {
    /// What is drawn.
    pub scene: Scene,
    /// Palette choice and small variations.
    pub variant: u64,
    /// Text describing exactly what is drawn.
    pub alt: String,
}

const SKIES: &[(&str, Rgb, Rgb)] = &[
    ("an orange evening sky", Rgb(250, 150, 70), Rgb(120, 60, 110)),
    ("a pale blue morning sky", Rgb(150, 195, 235), Rgb(225, 235, 245)),
    ("a grey overcast sky", Rgb(150, 155, 165), Rgb(205, 205, 210)),
];

const BACKDROPS: &[(&str, Rgb)] =
    &[("blue", Rgb(40, 70, 140)), ("dark red", Rgb(120, 30, 40)), ("green", Rgb(30, 100, 70))];

impl Picture {
    /// Chooses a picture of `scene` with a random palette.
    pub fn new(scene: Scene, rng: &mut Rng) -> Picture {
        let variant = rng.next_u64();
        let sky = SKIES[(variant % SKIES.len() as u64) as usize].0;
        let backdrop = BACKDROPS[(variant % BACKDROPS.len() as u64) as usize].0;
        let alt = match scene {
            Scene::Skyline => format!(
                "Drawing of a city skyline: dark tower blocks with rows of lit windows against {sky}, the sun low between two towers."
            ),
            Scene::Negotiation => format!(
                "Drawing of a negotiating room: two rows of seated figures face each other across a long wooden table, with two flags on poles against a {backdrop} wall."
            ),
            Scene::Courthouse => format!(
                "Drawing of a courthouse: a triangular pediment over six white columns and a wide flight of steps, under {sky}."
            ),
            Scene::Stadium => "Drawing of a stadium seen from the stands: a green pitch marked with white lines, packed terraces and four floodlight towers.".to_owned(),
            Scene::Lectern => format!(
                "Drawing of a speaker standing at a wooden lectern fitted with two microphones, in front of a {backdrop} backdrop."
            ),
            Scene::Markets => format!(
                "Drawing of a rising line chart in white over the glass front of an office tower, under {sky}."
            ),
            Scene::Landscape => format!(
                "Drawing of a river winding between rolling green hills under {sky}."
            ),
            Scene::Theatre => "Drawing of a theatre stage: red curtains drawn back around a bright circle of spotlight on the wooden boards.".to_owned(),
            Scene::Portrait => format!(
                "Drawn head-and-shoulders silhouette on a {backdrop} background, used as a placeholder portrait."
            ),
        };
        Picture { scene, variant, alt }
    }

    /// Draws the picture at `w`×`h` pixels and encodes it as JPEG.
    pub fn render_jpeg(&self, w: usize, h: usize) -> anyhow::Result<Vec<u8>> {
        let mut c = Canvas::new(w, h);
        let v = self.variant;
        let (_, sky_top, sky_bottom) = SKIES[(v % SKIES.len() as u64) as usize];
        let (_, backdrop) = BACKDROPS[(v % BACKDROPS.len() as u64) as usize];
        let shade = |r: Rgb, k: f64| mix(r, Rgb(0, 0, 0), k);
        let mut jitter = Rng::new(v);
        match self.scene {
            Scene::Skyline => {
                c.gradient(sky_top, sky_bottom, 0.0, 1.0);
                c.ellipse(0.5, 0.62, 0.09, 0.09, Rgb(255, 220, 120));
                let mut x = 0.0;
                while x < 1.0 {
                    let bw = 0.05 + jitter.unit() * 0.07;
                    let top = 0.25 + jitter.unit() * 0.45;
                    let body = Rgb(30, 30, 45);
                    c.rect(x, top, x + bw - 0.006, 1.0, body);
                    let mut wy = top + 0.03;
                    while wy < 0.95 {
                        let mut wx = x + 0.01;
                        while wx < x + bw - 0.02 {
                            if jitter.chance(0.55) {
                                c.rect(wx, wy, wx + 0.008, wy + 0.015, Rgb(250, 215, 120));
                            }
                            wx += 0.018;
                        }
                        wy += 0.04;
                    }
                    x += bw;
                }
            }
            Scene::Negotiation => {
                c.rect(0.0, 0.0, 1.0, 0.7, backdrop);
                c.rect(0.0, 0.7, 1.0, 1.0, Rgb(90, 70, 55));
                for (fx, fc) in [(0.12, Rgb(200, 40, 40)), (0.88, Rgb(240, 240, 240))] {
                    c.rect(fx - 0.003, 0.08, fx + 0.003, 0.62, Rgb(200, 180, 120));
                    c.rect(fx + 0.003, 0.1, fx + 0.08, 0.25, fc);
                }
                for i in 0..5 {
                    let x = 0.22 + f64::from(i) * 0.14;
                    c.figure(x, 0.58, 0.09, shade(backdrop, 0.6));
                }
                c.rect(0.05, 0.56, 0.95, 0.68, Rgb(140, 95, 55));
                for i in 0..5 {
                    let x = 0.22 + f64::from(i) * 0.14;
                    c.figure(x, 1.0, 0.13, Rgb(25, 25, 30));
                }
            }
            Scene::Courthouse => {
                c.gradient(sky_top, sky_bottom, 0.0, 0.85);
                let stone = Rgb(232, 228, 218);
                c.below(|x| 0.12 + (x - 0.5).abs() * 0.35, 0.3, stone);
                c.rect(0.2, 0.28, 0.8, 0.32, stone);
                for i in 0..6 {
                    let x = 0.24 + f64::from(i) * 0.1;
                    c.rect(x, 0.32, x + 0.04, 0.72, Rgb(245, 243, 238));
                }
                c.rect(0.2, 0.32, 0.8, 0.34, shade(stone, 0.2));
                for i in 0..5 {
                    let y = 0.72 + f64::from(i) * 0.05;
                    let inset = 0.2 - f64::from(i) * 0.04;
                    c.rect(inset, y, 1.0 - inset, y + 0.05, shade(stone, 0.05 * f64::from(i % 2)));
                }
            }
            Scene::Stadium => {
                c.gradient(Rgb(20, 30, 60), Rgb(60, 70, 110), 0.0, 0.3);
                for row in 0..6 {
                    let y = 0.18 + f64::from(row) * 0.035;
                    for i in 0..80 {
                        let x = f64::from(i) / 80.0;
                        let crowd = *jitter.pick(&[
                            Rgb(200, 40, 40),
                            Rgb(240, 240, 240),
                            Rgb(30, 30, 40),
                            Rgb(220, 180, 60),
                        ]);
                        c.rect(x, y, x + 0.011, y + 0.03, crowd);
                    }
                }
                c.rect(0.0, 0.4, 1.0, 1.0, Rgb(40, 140, 60));
                for k in 0..6 {
                    if k % 2 == 0 {
                        let y = 0.4 + f64::from(k) * 0.1;
                        c.rect(0.0, y, 1.0, y + 0.1, Rgb(50, 155, 70));
                    }
                }
                let white = Rgb(245, 245, 245);
                c.rect(0.05, 0.45, 0.95, 0.455, white);
                c.rect(0.495, 0.45, 0.505, 1.0, white);
                c.ellipse(0.5, 0.72, 0.18, 0.18, white);
                c.ellipse(0.5, 0.72, 0.17, 0.17, Rgb(45, 148, 65));
                for fx in [0.05, 0.35, 0.65, 0.95] {
                    c.rect(fx - 0.004, 0.02, fx + 0.004, 0.2, Rgb(180, 180, 190));
                    c.rect(fx - 0.03, 0.0, fx + 0.03, 0.04, Rgb(255, 250, 210));
                }
            }
            Scene::Lectern => {
                c.rect(0.0, 0.0, 1.0, 1.0, backdrop);
                for i in 0..6 {
                    let x = f64::from(i) / 6.0;
                    c.rect(x, 0.0, x + 0.005, 1.0, shade(backdrop, 0.2));
                }
                c.figure(0.5, 0.62, 0.2, Rgb(30, 30, 35));
                c.rect(0.38, 0.55, 0.62, 1.0, Rgb(120, 80, 45));
                c.rect(0.36, 0.53, 0.64, 0.58, Rgb(140, 95, 55));
                for mx in [0.46, 0.54] {
                    c.rect(mx - 0.003, 0.42, mx + 0.003, 0.54, Rgb(40, 40, 40));
                    c.ellipse(mx, 0.42, 0.018, 0.025, Rgb(20, 20, 20));
                }
            }
            Scene::Markets => {
                c.gradient(sky_top, sky_bottom, 0.0, 1.0);
                c.rect(0.2, 0.1, 0.8, 1.0, Rgb(70, 110, 140));
                for i in 0..12 {
                    let x = 0.2 + f64::from(i) * 0.05;
                    c.rect(x, 0.1, x + 0.004, 1.0, Rgb(40, 70, 95));
                }
                for i in 0..18 {
                    let y = 0.1 + f64::from(i) * 0.05;
                    c.rect(0.2, y, 0.8, y + 0.004, Rgb(40, 70, 95));
                }
                let mut y = 0.8;
                let steps = 40;
                for i in 0..steps {
                    let x = 0.1 + 0.8 * f64::from(i) / f64::from(steps);
                    y = (y - 0.012 - (jitter.unit() - 0.35) * 0.03).clamp(0.15, 0.9);
                    c.ellipse(x, y, 0.012, 0.012, Rgb(255, 255, 255));
                }
            }
            Scene::Landscape => {
                c.gradient(sky_top, sky_bottom, 0.0, 0.6);
                c.below(|x| 0.45 + 0.08 * (x * 7.0).sin(), 1.0, Rgb(70, 130, 70));
                c.below(|x| 0.58 + 0.06 * (x * 11.0 + 1.0).sin(), 1.0, Rgb(90, 155, 80));
                let water = Rgb(90, 140, 200);
                for yi in 0..100 {
                    let y = 0.6 + 0.4 * f64::from(yi) / 100.0;
                    let cx = 0.5 + 0.18 * (y * 9.0).sin();
                    let half = 0.01 + 0.12 * (y - 0.6);
                    c.rect(cx - half, y, cx + half, y + 0.005, water);
                }
            }
            Scene::Theatre => {
                c.rect(0.0, 0.0, 1.0, 1.0, Rgb(20, 15, 20));
                c.rect(0.0, 0.72, 1.0, 1.0, Rgb(120, 80, 45));
                c.ellipse(0.5, 0.78, 0.45, 0.1, Rgb(245, 225, 160));
                c.figure(0.5, 0.78, 0.12, Rgb(30, 25, 30));
                let red = Rgb(160, 20, 30);
                c.below(|x| if x < 0.2 { 0.0 } else { 1.0 }, 0.75, red);
                c.below(|x| if x > 0.8 { 0.0 } else { 1.0 }, 0.75, red);
                c.rect(0.0, 0.0, 1.0, 0.1, shade(red, 0.2));
            }
            Scene::Portrait => {
                c.rect(0.0, 0.0, 1.0, 1.0, backdrop);
                c.ellipse(0.5, 0.4, 0.2, 0.24, mix(backdrop, Rgb(255, 255, 255), 0.7));
                c.ellipse(0.5, 1.0, 0.42, 0.3, mix(backdrop, Rgb(255, 255, 255), 0.7));
            }
        }
        c.jpeg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_encodes_to_a_jpeg_of_the_asked_size() -> anyhow::Result<()> {
        let mut rng = Rng::new(3);
        for scene in [
            Scene::Skyline,
            Scene::Negotiation,
            Scene::Courthouse,
            Scene::Stadium,
            Scene::Lectern,
            Scene::Markets,
            Scene::Landscape,
            Scene::Theatre,
            Scene::Portrait,
        ] {
            let p = Picture::new(scene, &mut rng);
            let bytes = p.render_jpeg(160, 90)?;
            assert_eq!(&bytes[..2], &[0xFF, 0xD8], "JPEG start marker");
            // SOF0 carries height then width.
            let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline frame");
            let h = u16::from_be_bytes([bytes[sof + 5], bytes[sof + 6]]);
            let w = u16::from_be_bytes([bytes[sof + 7], bytes[sof + 8]]);
            assert_eq!((w, h), (160, 90));
            assert!(p.alt.len() > 40, "{scene:?} alt is descriptive");
        }
        Ok(())
    }
}
