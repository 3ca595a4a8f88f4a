;; Pillow-exact bilinear crop resampling with WebAssembly SIMD (src/agent/vision/resample-wasm.ts): the same
;; integer arithmetic as resample.ts (22-bit fixed-point taps, rounding by adding half, arithmetic shift, clamp to
;; 0..255 between the passes) with one RGBA pixel per 128-bit vector, so each tap is one load, one multiply and one
;; add for all channels. Pixels and intermediates are 32-bit words, memory order R, G, B, A (lane 3 is carried along
;; and never read back). All offsets are byte offsets into the exported memory, laid out by resample-wasm.ts.
;; Rebuild: scripts/build-resample-wasm.sh (wat2wasm from Debian's wabt).
(module
  (memory (export "memory") 1)

  ;; Horizontal pass: src holds sh rows of sw words; tmp gets sh rows of outW words. Per output column xx:
  ;; first source column start[xx], count[xx] taps, weights from kk word off[xx].
  (func (export "hpass")
    (param $src i32) (param $sw i32) (param $sh i32) (param $outW i32)
    (param $start i32) (param $count i32) (param $off i32) (param $kk i32) (param $tmp i32)
    (local $y i32) (local $xx i32) (local $row i32) (local $p i32) (local $k i32) (local $kend i32) (local $o i32) (local $acc v128)
    (local.set $o (local.get $tmp))
    (local.set $y (i32.const 0))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $sh)))
        (local.set $row (i32.add (local.get $src) (i32.shl (i32.mul (local.get $y) (local.get $sw)) (i32.const 2))))
        (local.set $xx (i32.const 0))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $p (i32.add (local.get $row)
              (i32.shl (i32.load (i32.add (local.get $start) (i32.shl (local.get $xx) (i32.const 2)))) (i32.const 2))))
            (local.set $k (i32.add (local.get $kk)
              (i32.shl (i32.load (i32.add (local.get $off) (i32.shl (local.get $xx) (i32.const 2)))) (i32.const 2))))
            (local.set $kend (i32.add (local.get $k)
              (i32.shl (i32.load (i32.add (local.get $count) (i32.shl (local.get $xx) (i32.const 2)))) (i32.const 2))))
            (local.set $acc (i32x4.splat (i32.const 2097152)))
            (block $kdone
              (loop $kloop
                (br_if $kdone (i32.ge_u (local.get $k) (local.get $kend)))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.mul
                    (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                    (i32x4.splat (i32.load (local.get $k))))))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kloop)))
            (local.set $acc (i32x4.shr_s (local.get $acc) (i32.const 22)))
            ;; saturating narrows: i32 → i16 (signed) → u8 is exactly the clamp to 0..255
            (i32.store (local.get $o)
              (i32x4.extract_lane 0
                (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)) (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $xloop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yloop))))

  ;; Vertical pass: tmp holds rows of outW words; dst gets outH rows of outW words. Per output row yy: first
  ;; source row start[yy], count[yy] taps, weights from kk word off[yy].
  (func (export "vpass")
    (param $tmp i32) (param $outW i32) (param $outH i32)
    (param $start i32) (param $count i32) (param $off i32) (param $kk i32) (param $dst i32)
    (local $yy i32) (local $xx i32) (local $first i32) (local $kbeg i32) (local $kend i32) (local $k i32) (local $p i32)
    (local $rowBytes i32) (local $o i32) (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $o (local.get $dst))
    (local.set $yy (i32.const 0))
    (block $ydone
      (loop $yloop
        (br_if $ydone (i32.ge_u (local.get $yy) (local.get $outH)))
        (local.set $first (i32.add (local.get $tmp)
          (i32.mul (i32.load (i32.add (local.get $start) (i32.shl (local.get $yy) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $kbeg (i32.add (local.get $kk)
          (i32.shl (i32.load (i32.add (local.get $off) (i32.shl (local.get $yy) (i32.const 2)))) (i32.const 2))))
        (local.set $kend (i32.add (local.get $kbeg)
          (i32.shl (i32.load (i32.add (local.get $count) (i32.shl (local.get $yy) (i32.const 2)))) (i32.const 2))))
        (local.set $xx (i32.const 0))
        (block $xdone
          (loop $xloop
            (br_if $xdone (i32.ge_u (local.get $xx) (local.get $outW)))
            (local.set $p (i32.add (local.get $first) (i32.shl (local.get $xx) (i32.const 2))))
            (local.set $k (local.get $kbeg))
            (local.set $acc (i32x4.splat (i32.const 2097152)))
            (block $kdone
              (loop $kloop
                (br_if $kdone (i32.ge_u (local.get $k) (local.get $kend)))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.mul
                    (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                    (i32x4.splat (i32.load (local.get $k))))))
                (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $kloop)))
            (local.set $acc (i32x4.shr_s (local.get $acc) (i32.const 22)))
            (i32.store (local.get $o)
              (i32x4.extract_lane 0
                (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)) (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $xloop)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $yloop))))

  ;; n words at src → three float planes: byte 0 through table t0 into o0, byte 1 through t1 into o1, byte 2
  ;; through t2 into o2 (tables of 256 f32; the caller maps channels to planes, e.g. for BGR models).
  (func (export "planes")
    (param $src i32) (param $n i32) (param $t0 i32) (param $t1 i32) (param $t2 i32) (param $o0 i32) (param $o1 i32) (param $o2 i32)
    (local $i i32) (local $w i32) (local $q i32)
    (local.set $i (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $q (i32.shl (local.get $i) (i32.const 2)))
        (local.set $w (i32.load (i32.add (local.get $src) (local.get $q))))
        (f32.store (i32.add (local.get $o0) (local.get $q))
          (f32.load (i32.add (local.get $t0) (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 2)))))
        (f32.store (i32.add (local.get $o1) (local.get $q))
          (f32.load (i32.add (local.get $t1) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)) (i32.const 2)))))
        (f32.store (i32.add (local.get $o2) (local.get $q))
          (f32.load (i32.add (local.get $t2) (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
)
