import * as vscode from 'vscode';

export interface ValueItem<T> extends vscode.QuickPickItem {
  value: T;
  /** Shown but not selectable: choosing it explains why (`disabledReason`) and keeps the pick open. */
  disabledReason?: string;
}

/**
 * A quick pick with the default item active (so Enter accepts it), optional free input turned into
 * an extra item (`custom`), and items that explain themselves instead of being chosen.
 */
export function pickValue<T>(options: {
  title: string;
  step?: number;
  totalSteps?: number;
  placeholder: string;
  items: ValueItem<T>[];
  active?: ValueItem<T>;
  custom?: (text: string) => ValueItem<T> | undefined;
}): Promise<ValueItem<T> | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<ValueItem<T>>();
    qp.title = options.title;
    qp.step = options.step;
    qp.totalSteps = options.totalSteps;
    qp.placeholder = options.placeholder;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = true;
    qp.items = options.items;
    if (options.active) qp.activeItems = [options.active];
    let settled = false;
    const finish = (item: ValueItem<T> | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(item);
      qp.dispose();
    };
    if (options.custom) {
      const custom = options.custom;
      qp.onDidChangeValue((text) => {
        const extra = text.trim() ? custom(text.trim()) : undefined;
        qp.items = extra ? [extra, ...options.items] : options.items;
        if (extra) qp.activeItems = [extra];
      });
    }
    qp.onDidAccept(() => {
      const item = qp.activeItems[0] ?? qp.selectedItems[0];
      if (!item) return;
      if (item.disabledReason) {
        void vscode.window.showInformationMessage(item.disabledReason);
        return;
      }
      finish(item);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
