// An antd Table whose rows can be dragged into a new order (dnd-kit), with a
// keyboard alternative: the handle takes focus and arrow keys move the row.
import { createContext, useContext, useMemo, type CSSProperties, type HTMLAttributes } from 'react';
import { Button, Table, type TableProps } from 'antd';
import { HolderOutlined } from '@ant-design/icons';
import { DndContext, KeyboardSensor, PointerSensor, closestCenter, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { SortableContext, arrayMove, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import type { SyntheticListenerMap } from '@dnd-kit/core/dist/hooks/utilities';

const HandleContext = createContext<{ listeners?: SyntheticListenerMap; setActivatorNodeRef?: (el: HTMLElement | null) => void }>({});

/** The drag handle cell: put it in the first column. */
export function DragHandle() {
  const { listeners, setActivatorNodeRef } = useContext(HandleContext);
  return <Button type="text" size="small" className="scrm-drag-handle" icon={<HolderOutlined />} ref={setActivatorNodeRef} {...listeners} aria-label="drag" data-testid="drag-handle" />;
}

function Row(props: HTMLAttributes<HTMLTableRowElement> & { 'data-row-key': string }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id: props['data-row-key'] });
  const style: CSSProperties = {
    ...props.style,
    transform: CSS.Translate.toString(transform),
    transition,
    ...(isDragging ? { position: 'relative', zIndex: 10, background: '#fafafa' } : {}),
  };
  const ctx = useMemo(() => ({ listeners, setActivatorNodeRef }), [listeners, setActivatorNodeRef]);
  return (
    <HandleContext.Provider value={ctx}>
      <tr {...props} ref={setNodeRef} style={style} {...attributes} />
    </HandleContext.Provider>
  );
}

interface Props<T> extends TableProps<T> {
  rowKey: string;
  dataSource: T[];
  /** Called with the rows in their new order after a drop. */
  onReorder: (rows: T[]) => void;
}

export function SortableTable<T extends Record<string, unknown>>({ onReorder, dataSource, rowKey, ...rest }: Props<T>) {
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 4 } }), useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }));
  const ids = dataSource.map((r) => String(r[rowKey]));
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    const from = ids.indexOf(String(active.id));
    const to = ids.indexOf(String(over.id));
    onReorder(arrayMove(dataSource, from, to));
  };
  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <Table<T> {...rest} rowKey={rowKey} dataSource={dataSource} components={{ body: { row: Row } }} />
      </SortableContext>
    </DndContext>
  );
}
