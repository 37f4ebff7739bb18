// Module header for jepasnn/data (Phase 0): the NWB reader and writer, units and interval tables,
// session blocks and brain states, unit QC and recomputed quality metrics, binning (in memory and
// streaming from the file), train/validation splits by time blocks, event-aligned windows, and
// the VBN-like simulator with ground truth.
#pragma once

#include "bin_plan.hpp"
#include "bin_states.hpp"
#include "binned_store.hpp"
#include "binning.hpp"
#include "blocks.hpp"
#include "column.hpp"
#include "count_source.hpp"
#include "nwb_reader.hpp"
#include "nwb_writer.hpp"
#include "qc_report.hpp"
#include "quality_metrics.hpp"
#include "session.hpp"
#include "simulator/config.hpp"
#include "simulator/dynamics.hpp"
#include "simulator/ground_truth.hpp"
#include "simulator/simulate.hpp"
#include "streaming_binning.hpp"
#include "table.hpp"
#include "time_range.hpp"
#include "time_series.hpp"
#include "time_split.hpp"
#include "unit_qc.hpp"
#include "units.hpp"
#include "windows.hpp"
