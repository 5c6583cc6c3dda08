/** `edgec split-advisor`: where to cut a model between the device and the cloud (compiler/split). */
import { Command, Option } from 'commander';
import { adviseSplit, formatAdvisor } from '../split/advisor.js';
import { parseShapeOption } from './options.js';

interface AdvisorFlags { board: string; backend?: string; shape: string[]; int8Io?: boolean; inputLayout?: 'declared' | 'nhwc'; samples?: string; format: 'text' | 'json' }

export function addSplitAdvisorCommand(program: Command, log: (s: string) => void, collect: (value: string, previous: string[]) => string[]): void {
  program.command('split-advisor').description('candidate cut points for --split-at: bytes sent per inference, device MACs, arena and flash of each head').argument('<model.onnx>')
    .option('-b, --board <id>', 'target board of the head (see `edgec boards`)', 'host')
    .addOption(new Option('--backend <id>', 'kernel backend (default: the board\'s)').choices(['portable', 'cmsis-nn', 'esp-nn']))
    .option('--shape <name=dims>', 'static shape for an input with dynamic dims (repeatable)', collect, [])
    .option('--int8-io', 'heads with an int8 input (as build --int8-io; the cut is sent as int8 either way)')
    .addOption(new Option('--input-layout <layout>', 'layout of channels-first model inputs in the heads\' C API').choices(['declared', 'nhwc']))
    .option('--samples <path>', 'input samples (.npy / .npz / folder): also measure the LZSS-compressed packet size (first 8 samples)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (model: string, flags: AdvisorFlags) => {
      const report = await adviseSplit(model, { board: flags.board, backend: flags.backend, shapes: parseShapeOption(flags.shape), int8Io: flags.int8Io, inputLayout: flags.inputLayout }, flags.samples);
      if (flags.format === 'json') log(JSON.stringify(report, null, 2));
      else formatAdvisor(report).forEach((l) => log(l));
    });
}
