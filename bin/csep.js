#!/usr/bin/env node
import "../dist/cli/csep.js";
