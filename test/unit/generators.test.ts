import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from '../../src/core/generate';
import { GENERATOR_INFO, GENERATOR_NAMES } from '../../src/core/generators/catalog';
import { readModelFile } from '../../src/core/generators/model-file';
import { generatorKind } from '../../src/core/generators/registry';
import { Random } from '../../src/core/random';
import { TableTransformer } from '../../src/core/transform/transformer';
import { RuleLayer } from '../../src/core/rules/layer';
import { tempDir, tempFile } from '../helpers/files';

const root = path.join(__dirname, '..', '..');

test('the setting and the l10n bundle list every generator with the description the quick pick and the engine use', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8'));
  // The quick pick passes the description through vscode.l10n.t: the bundle must list it for translators.
  const bundle = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.json'), 'utf8'));
  const mode = pkg.contributes.configuration.properties['syntheticCsv.mode'];
  for (const name of GENERATOR_NAMES) {
    const index = mode.enum.indexOf(`dp-${name}`);
    assert.ok(index >= 0, `the mode setting offers dp-${name}`);
    assert.equal(nls[mode.enumDescriptions[index].replace(/^%|%$/g, '')], GENERATOR_INFO[name].description, `dp-${name}: package.nls.json says what catalog.ts says`);
    assert.ok(GENERATOR_INFO[name].description in bundle, `${name}: the l10n bundle lists its description`);
  }
});

/** 600 rows of three related columns: enough for every private generator at ε 3. */
function smallCsv(): string {
  const random = new Random(4);
  const lines = ['age,ward,stay'];
  for (let i = 0; i < 600; i++) {
    const age = 20 + random.int(60);
    const ward = age > 60 ? (random.next() < 0.8 ? 'Elderly' : 'General') : random.next() < 0.7 ? 'General' : 'Surgery';
    lines.push(`${age},${ward},${1 + random.int(age > 60 ? 20 : 8)}`);
  }
  return lines.join('\n') + '\n';
}

for (const name of ['marginals', 'pgm', 'tvae'] as const) {
  test(`a ${name} model saved by generate loads through the registry, keeps its state and samples repeatably`, async () => {
    const input = tempFile('small.csv', smallCsv());
    const out = path.join(tempDir(), 'small.synthetic.csv');
    await generate({ input, out, generator: name, evaluate: false, ...(name === 'tvae' ? { privacy: 'none', epochs: 2 } : { privacy: { epsilon: 3 } }) });
    const file = await readModelFile(out.replace(/\.csv$/, '.model'));
    assert.equal(file.generator, name);
    const transformer = TableTransformer.fromJSON(file.transformer);
    const schema = file.rules ? RuleLayer.fromJSON(file.rules).learningSchema(file.schema) : file.schema;
    const generator = await generatorKind(name).load(file, { schema, transformer, path: out });
    try {
      assert.equal(generator.name, name);
      // What it saves is what it was loaded from: a model survives a second round trip unchanged.
      const saved = generator.save();
      for (const [key, value] of Object.entries(saved)) assert.deepEqual(value, file[key as keyof typeof file], `${key} round-trips`);
      const a = await generator.sample(200, new Random(9));
      const b = await generator.sample(200, new Random(9));
      const c = await generator.sample(200, new Random(10));
      assert.equal(a.length, 200 * transformer.width);
      assert.deepEqual(a, b, 'the same stream gives the same rows');
      assert.notDeepEqual(a, c, 'another stream gives other rows');
      // A chunk drawn from its seed is the rows sampled with the stream that seed came from.
      const source = await generator.open(200);
      try {
        assert.deepEqual(await source.sample(200, new Random(5).nextUint32()), await generator.sample(200, new Random(5)));
      } finally {
        await source.close();
      }
    } finally {
      generator.dispose();
    }
  });
}

test('an unknown generator is refused by name, with the list', () => {
  assert.throws(() => generatorKind('gan'), /unknown generator "gan" \(generators: tvae, pgm, marginals\)/);
});
