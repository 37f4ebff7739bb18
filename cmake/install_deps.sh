#!/usr/bin/env bash
# Installs what jepasnn needs on Debian 12, idempotently; a fast no-op when everything is there.
#
#   cmake/install_deps.sh           Debian packages for the library, tests, CLI and paper, plus
#                                   .venv: PyPI's pynwb (the reference NWB reader the tests check
#                                   our files against), nwbinspector, and what the Python package
#                                   is built and tested with (nanobind, scikit-build-core, pytest,
#                                   scikit-learn, matplotlib for its example, pynapple for its
#                                   interop tests)
#   cmake/install_deps.sh --bench   also the competitors the benchmark scripts run side by side,
#                                   as users install them: .venv-bench with PyPI's PyTorch 2.15.0,
#                                   snntorch 1.0.0, numpy, scipy, scikit-learn and h5py (torch's
#                                   wheel pulls CUDA libraries, several GB: for benchmarking, never
#                                   for CI)
#
# The library itself needs only Debian packages; the Python package needs nanobind (PyPI) too.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want_bench=0
for arg in "$@"; do
    case "$arg" in
        --bench) want_bench=1 ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "install_deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

packages=(
    cmake ninja-build g++ git
    libeigen3-dev xtensor-dev libhdf5-dev zlib1g-dev nlohmann-json3-dev librandom123-dev   # library
    catch2 librapidcheck-dev libbenchmark-dev libcli11-dev                       # tests, CLI
    python3 python3-venv python3-numpy python3-matplotlib                        # figures
    python3-dev                                                                  # Python package
    openmpi-bin libopenmpi-dev                                                   # jepasnn::dist
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install_deps.sh: missing Debian packages: ${missing[*]}" >&2
        echo "install_deps.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "install_deps.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python tools go into virtual environments of Debian's own interpreter (the python3 first on
# PATH may be another one, which does not see Debian's python3-* packages).
make_venv() {  # dir, check-import, venv flags, pip args...
    local dir=$1 check=$2 flags=$3; shift 3
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" 2>/dev/null; then return 0; fi
    echo "install_deps.sh: preparing $dir"
    rm -rf "$dir"
    /usr/bin/python3 -m venv $flags "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check "$@"
}
make_venv "$root/.venv" "import pynwb, nwbinspector, nanobind, scikit_build_core, pytest, sklearn, matplotlib, pynapple" "" \
    "pynwb==4.2.0" "nwbinspector==0.7.2" "nanobind==3.1.0" "scikit-build-core==1.1.2" \
    "pytest==9.2.0" "scikit-learn==1.9.1" "matplotlib==3.11.2" "pynapple==0.11.4"
if [ "$want_bench" = 1 ]; then
    make_venv "$root/.venv-bench" \
        "import snntorch, torch, sklearn, h5py, numpy
assert torch.__version__.split('+')[0] == '2.15.0' and numpy.__version__ == '2.4.6'" "" \
        "torch==2.15.0" "snntorch==1.0.0" "numpy==2.4.6" "scipy==1.17.1" "scikit-learn==1.9.1" \
        "h5py==3.16.0"
fi
echo "install_deps.sh: all dependencies present"
