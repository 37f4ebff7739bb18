// Module header for jepasnn/train: the one optimisation loop (objective → clipped AdamW step on a
// schedule → callbacks), with atomic checkpoints that resume bitwise identically.
#pragma once

#include "loop.hpp"
#include "prefetch.hpp"
