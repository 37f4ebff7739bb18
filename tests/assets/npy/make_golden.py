"""Writes the golden .npy files of tests/assets/npy with numpy itself (run with Debian's python3).
The C++ tests read them and compare with the values below, which are restated in the tests."""
import io, os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
def out(name): return os.path.join(here, name)

a = np.arange(6, dtype=np.float64).reshape(2, 3) / 4.0 - 0.5      # [[-0.5,-0.25,0],[0.25,0.5,0.75]]
np.save(out("f8_2x3.npy"), a)
np.save(out("f4_2x3.npy"), a.astype(np.float32))
np.save(out("i8_vec5.npy"), np.array([-2, -1, 0, 1, 2**40], dtype=np.int64))
np.save(out("u2_2x2.npy"), np.array([[1, 2], [65535, 0]], dtype=np.uint16))
np.save(out("b1_vec4.npy"), np.array([True, False, False, True]))
np.save(out("i4_2x3x4.npy"), np.arange(24, dtype=np.int32).reshape(2, 3, 4))
np.save(out("f8_fortran_2x3.npy"), np.asfortranarray(a))
np.save(out("f8_bigendian_2x3.npy"), a.astype(">f8"))
np.save(out("i4_fortran_2x3x4.npy"), np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4)))
np.save(out("f8_empty_0x3.npy"), np.zeros((0, 3)))
np.save(out("c16_vec2.npy"), np.array([1 + 2j, 3 - 1j]))
# Format version 2.0 (4-byte header length), written explicitly.
buf = io.BytesIO()
np.lib.format.write_array(buf, a, version=(2, 0))
open(out("f8_v2_2x3.npy"), "wb").write(buf.getvalue())
