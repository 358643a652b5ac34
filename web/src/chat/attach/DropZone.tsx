// Drag and drop onto the chat: while files are dragged over it, an overlay says "Drop to send"; dropped files
// join the composer's tray.
import type { DragEvent, ReactNode } from 'react';
import { useRef, useState } from 'react';

const hasFiles = (e: DragEvent) => [...e.dataTransfer.types].includes('Files');

/** The drop handlers and the overlay's visibility for an element that takes dropped files. */
export function useDropZone(onFiles: (files: File[]) => void) {
  const [over, setOver] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them.
  const depth = useRef(0);
  const handlers = {
    onDragEnter: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setOver(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    },
    onDrop: (e: DragEvent) => {
      if (!hasFiles(e) && e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      depth.current = 0;
      setOver(false);
      onFiles([...e.dataTransfer.files]);
    },
  };
  return { over, handlers };
}

/** The overlay shown while files are dragged over the chat. */
export function DropOverlay({ over, children = 'Drop to send' }: { over: boolean; children?: ReactNode }) {
  if (!over) return null;
  return (
    <div className="drop-overlay" role="status">
      <p>{children}</p>
    </div>
  );
}
