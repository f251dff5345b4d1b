// One self-contained declaration file per package entry (dist-lib/*.d.ts). tsc's own output
// keeps the sources' extensionless relative imports, which TypeScript refuses under
// `moduleResolution: node16/nodenext`; a bundled file has no relative imports at all.
// noCheck: the check of the bundles turns skipLibCheck off, and @webgpu/types then clashes with
// TypeScript's own DOM lib; scripts/pack-test.sh type-checks them as a user's project does.
const entry = (input, out) => ({ filePath: input, outFile: out, noCheck: true, output: { noBanner: true, exportReferencedTypes: false }, libraries: { importedLibraries: ['@tensorflow/tfjs-core'] } });
module.exports = {
  compilationOptions: { preferredConfigPath: './tsconfig.lib.json' },
  entries: [
    entry('./src/segmenter/index.ts', './dist-lib/index.d.ts'),
    entry('./src/checkpoints/index.ts', './dist-lib/checkpoints.d.ts'),
    entry('./src/backend/index.ts', './dist-lib/backend.d.ts'),
  ],
};
